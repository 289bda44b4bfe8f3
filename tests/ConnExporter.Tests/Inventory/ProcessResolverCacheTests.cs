using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using ConnExporter.Inventory;
using ConnExporter.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConnExporter.Tests.Inventory;

/// <summary>The resolver's caching rules, on a fake procfs tree.</summary>
[SupportedOSPlatform("linux")]
public sealed partial class ProcessResolverCacheTests : IDisposable
{
    private const string Id = "4b825dc642cb6eb9a060e54bf8d69288fbee4904a8d2c0e1d5f6a7b8c9d0e1f2";

    private readonly FakeProcfs _proc = new();
    private readonly ProcessResolver _resolver;

    public ProcessResolverCacheTests()
    {
        _proc.AddProcess(100, "nginx", 5000, "/system.slice/nginx.service", "/usr/sbin/nginx");
        _proc.AddSocket(100, 3, 1001);
        _proc.Link(100, 4, "/dev/null");
        _proc.AddSocket(100, 5, 1002);
        _proc.AddSocket(100, 6, 1001); // dup of fd 3: still one owner
        _proc.AddProcess(200, "nginx: worker", 5100, $"/system.slice/docker-{Id}.scope");
        _proc.AddSocket(200, 7, 1001);
        _proc.Link(200, 8, "pipe:[99]");
        _resolver = new ProcessResolver(_proc.Root, NullLogger.Instance);
    }

    public void Dispose() => _proc.Dispose();

    [Fact]
    public void Resolves_owners_with_their_identity()
    {
        var owners = _resolver.Resolve(Set(1001, 1002, 9999, 0));

        var shared = owners.Get(1001);
        Assert.Equal([100, 200], shared.Select(p => p.Pid));
        Assert.Equal(new ProcessInfo(100, 5000, "nginx", "/usr/sbin/nginx", "nginx.service", null), shared[0]);
        Assert.Equal(new ProcessInfo(200, 5100, "nginx: worker", "/usr/bin/fake", $"docker-{Id}.scope", Id), shared[1]);
        Assert.Equal([100], owners.Get(1002).Select(p => p.Pid));
        Assert.Empty(owners.Get(9999));
        Assert.Empty(owners.Get(0));
        Assert.Same(owners.Get(9999), owners.Get(0));
        Assert.Equal(2, owners.OwnedSockets);
        Assert.Equal(2, owners.ProcessesScanned);
        Assert.Equal(2, owners.ProcessesRead);
        Assert.Equal(6, owners.FdLinksRead);
        Assert.False(owners.FullRescan);
    }

    [Fact]
    public void Unchanged_processes_cost_no_link_reads_and_no_identity_reads()
    {
        _resolver.Resolve(Set(1001, 1002));
        // Identity is read once per (pid, start time): a changed cgroup file is not noticed.
        _proc.SetCgroup(100, "/system.slice/other.service");

        var owners = _resolver.Resolve(Set(1001, 1002));

        Assert.Equal(0, owners.FdLinksRead);
        Assert.Equal(0, owners.ProcessesRead);
        Assert.Equal(2, owners.ProcessesScanned);
        Assert.Equal("nginx.service", owners.Get(1002)[0].Unit);
        Assert.Same(owners.Get(1002)[0], _resolver.Resolve(Set(1001, 1002)).Get(1002)[0]);
    }

    [Fact]
    public void A_reused_pid_is_a_new_process()
    {
        _resolver.Resolve(Set(1001, 1002));
        _proc.RemoveProcess(100);
        _proc.AddProcess(100, "sshd", 9000, "/system.slice/ssh.service", "/usr/sbin/sshd");
        _proc.AddSocket(100, 3, 2001);

        var owners = _resolver.Resolve(Set(1001, 2001));

        Assert.Equal(1, owners.ProcessesRead);
        Assert.Equal(1, owners.FdLinksRead); // the new process's fd table, not the old one's
        Assert.Equal(new ProcessInfo(100, 9000, "sshd", "/usr/sbin/sshd", "ssh.service", null), Assert.Single(owners.Get(2001)));
        Assert.Equal([200], owners.Get(1001).Select(p => p.Pid));
    }

    [Fact]
    public void Same_start_time_but_new_comm_means_exec_and_is_read_again()
    {
        _resolver.Resolve(Set(1001));
        _proc.SetStat(200, "postgres", 5100);
        _proc.SetCgroup(200, "/system.slice/postgresql.service");

        var owners = _resolver.Resolve(Set(1001));

        Assert.Equal(1, owners.ProcessesRead);
        var worker = owners.Get(1001)[1];
        Assert.Equal(("postgres", "postgresql.service"), (worker.Name, worker.Unit));
    }

    [Fact]
    public void Gone_processes_are_evicted()
    {
        _resolver.Resolve(Set(1001));
        _proc.RemoveProcess(200);
        Assert.Equal([100], _resolver.Resolve(Set(1001)).Get(1001).Select(p => p.Pid));

        // Back with the same start time: it was evicted, so it is read as new.
        _proc.AddProcess(200, "nginx: worker", 5100, "/system.slice/nginx.service");
        _proc.AddSocket(200, 7, 1001);
        var owners = _resolver.Resolve(Set(1001));

        Assert.Equal(1, owners.ProcessesRead);
        Assert.Equal([100, 200], owners.Get(1001).Select(p => p.Pid));
    }

    [Fact]
    public void New_fds_are_read_and_closed_sockets_dropped()
    {
        _resolver.Resolve(Set(1001, 1002));
        _proc.AddSocket(200, 9, 1003);
        _proc.Close(100, 5);

        var owners = _resolver.Resolve(Set(1001, 1003));

        Assert.Equal(1, owners.FdLinksRead);
        Assert.Equal([200], owners.Get(1003).Select(p => p.Pid));
        Assert.Empty(owners.Get(1002));
        Assert.False(owners.FullRescan);
    }

    /// <param name="walkAheadFirst">After a walk ahead too: had the walk's "unwanted" marks
    /// stayed, fd 5 would be trusted and only a full rescan would find 1004.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_fd_number_reused_after_its_socket_closed_is_read_again(bool walkAheadFirst)
    {
        if (walkAheadFirst) _resolver.WalkAhead();
        _resolver.Resolve(Set(1001, 1002));
        _proc.AddSocket(100, 5, 1004); // 1002 closed, fd 5 reused

        var owners = _resolver.Resolve(Set(1001, 1004));

        Assert.Equal(1, owners.FdLinksRead);
        Assert.Equal([100], owners.Get(1004).Select(p => p.Pid));
        Assert.False(owners.FullRescan);
    }

    [Fact]
    public void An_fd_number_reused_from_a_non_socket_is_found_by_one_full_rescan()
    {
        _resolver.Resolve(Set(1001, 1002));
        _proc.AddSocket(100, 4, 1005); // was /dev/null: the cheap pass trusts it

        var owners = _resolver.Resolve(Set(1001, 1002, 1005));

        Assert.True(owners.FullRescan);
        Assert.Equal([100], owners.Get(1005).Select(p => p.Pid));
        Assert.Equal(6, owners.FdLinksRead); // none in the cheap pass, all six in the full one
        var next = _resolver.Resolve(Set(1001, 1002, 1005));
        Assert.False(next.FullRescan);
        Assert.Equal(0, next.FdLinksRead);
    }

    [Fact]
    public void A_socket_shared_with_another_process_and_its_fd_reused_is_corrected_by_a_rescan()
    {
        _resolver.Resolve(Set(1001, 1002));
        // 100 closes its copy of the shared listener (fds 3 and 6) and reuses 3 for a new socket;
        // 1001 is still wanted (200 holds it), so the cheap pass trusts fd 3.
        _proc.Close(100, 6);
        _proc.AddSocket(100, 3, 1006);

        var owners = _resolver.Resolve(Set(1001, 1002, 1006));

        Assert.True(owners.FullRescan);
        Assert.Equal([100], owners.Get(1006).Select(p => p.Pid));
        Assert.Equal([200], owners.Get(1001).Select(p => p.Pid));
    }

    [Fact]
    public void Inodes_nobody_owns_trigger_a_rescan_only_when_new()
    {
        var cold = _resolver.Resolve(Set(1001, 7777));
        Assert.False(cold.FullRescan); // a cold scan read everything already

        Assert.False(_resolver.Resolve(Set(1001, 7777)).FullRescan);

        var newUnowned = _resolver.Resolve(Set(1001, 7777, 8888));
        Assert.True(newUnowned.FullRescan);
        Assert.False(_resolver.Resolve(Set(1001, 7777, 8888)).FullRescan);
        Assert.Empty(_resolver.Resolve(Set(1001, 7777, 8888)).Get(8888));
    }

    [Fact]
    public void Sockets_never_wanted_are_not_read_again()
    {
        _proc.AddSocket(100, 10, 5555); // e.g. a unix socket: not in the inventory
        _resolver.Resolve(Set(1001));

        var owners = _resolver.Resolve(Set(1001));

        Assert.Equal(0, owners.FdLinksRead);
        Assert.False(owners.FullRescan);
        // Still known if it becomes wanted.
        Assert.Equal([100], _resolver.Resolve(Set(1001, 5555)).Get(5555).Select(p => p.Pid));
    }

    [Fact]
    public void A_missing_procfs_gives_no_owners_and_one_warning()
    {
        var logger = new ListLogger();
        var resolver = new ProcessResolver(Path.Combine(_proc.Root, "missing"), logger);

        Assert.Empty(resolver.Resolve(Set(1001)).Get(1001));
        Assert.Empty(resolver.Resolve(Set(1001)).Get(1001));
        Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
    }

    [RootTheory]
    [InlineData(UnixFileMode.None)]       // fd directory cannot be opened
    [InlineData(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead)] // listable, links unreadable
    public void Unreadable_fd_tables_are_counted_and_warned_about_once(UnixFileMode fdDirectoryMode)
    {
        File.SetUnixFileMode(_proc.FdDirectory(200), fdDirectoryMode);
        var logger = new ListLogger();
        var resolver = new ProcessResolver(_proc.Root, logger);

        // As root the mode is ignored; a thread whose filesystem uid is not root's has neither
        // CAP_DAC_OVERRIDE nor CAP_DAC_READ_SEARCH, like an unprivileged exporter.
        var (first, second) = AsUnprivilegedThread(() => (resolver.Resolve(Set(1001)), resolver.Resolve(Set(1001))));

        Assert.Equal(1, first.ProcessesDenied);
        Assert.Equal(1, second.ProcessesDenied);
        Assert.True(second.FdLinksRead <= 1, $"{second.FdLinksRead} links tried in a denied fd table");
        Assert.Equal([100], first.Get(1001).Select(p => p.Pid)); // what is visible still resolves
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("CAP_SYS_PTRACE", warning.Message);
        Assert.Contains("CAP_DAC_READ_SEARCH", warning.Message);
    }

    private static T AsUnprivilegedThread<T>(Func<T> work)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            // setfsuid(2) changes only the calling thread (glibc does not broadcast it).
            SetFsUid(65534);
            try { result = work(); }
            catch (Exception e) { error = e; }
            finally { SetFsUid(0); }
        });
        thread.Start();
        thread.Join();
        if (error is not null) throw new AggregateException(error);
        return result;
    }

    [LibraryImport("libc", EntryPoint = "setfsuid")]
    private static partial int SetFsUid(uint fsuid);

    private static HashSet<ulong> Set(params ulong[] inodes) => [.. inodes];
}
