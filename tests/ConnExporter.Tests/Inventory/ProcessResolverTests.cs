using System.Diagnostics;
using System.Text;
using ConnExporter.Inventory;
using ConnExporter.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace ConnExporter.Tests.Inventory;

/// <summary>The resolver against the real /proc, with processes started for the test.</summary>
public sealed class ProcessResolverTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    // PR_SET_NAME keeps 15 bytes; this one has a quote, a backslash, parentheses and spaces.
    private const string HostileName = "a\"b\\c) d (e";

    private const string ForkingListener = """
        import os, socket, sys, time
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
        print(os.getpid(), flush=True)
        sys.stdin.readline()
        child = os.fork()
        if child == 0:
            time.sleep(600); os._exit(0)
        print(child, flush=True)
        sys.stdin.readline()
        """;

    private const string RenamedUdp = """
        import ctypes, os, socket, sys
        ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
        print(os.getpid(), flush=True)
        sys.stdin.readline()
        """;

    private const string ManySockets = """
        import os, socket, sys
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(int(sys.argv[1]))]
        r, w = os.pipe()
        print(os.getpid(), flush=True)
        for line in sys.stdin:
            cmd = line.split()
            if cmd[0] == "open":
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); socks.append(s); print(s.fileno(), flush=True)
            elif cmd[0] == "close":
                for s in socks:
                    if s.fileno() == int(cmd[1]): s.close()
                print("ok", flush=True)
            elif cmd[0] == "swap":
                os.close(r)
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); socks.append(s); print(s.fileno(), r, flush=True)
        """;

    private readonly List<Process> _processes = [];
    private readonly List<int> _extraPids = [];
    private readonly List<string> _cgroups = [];

    /// <summary>Both ways of finding descriptors: the /proc walk and the kernel's task/file iterator.</summary>
    [RootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Finds_every_owner_with_name_unit_and_container(bool kernelIterator)
    {
        string service = $"cxt-owners-{Environment.ProcessId}-{Random.Shared.Next(100000)}.service";
        string containerId = Convert.ToHexStringLower(RandomBytes(32));
        string serviceCgroup = MakeCgroup(service);
        string containerCgroup = MakeCgroup($"docker-{containerId}.scope");

        var listener = Start(ForkingListener);
        int parent = ReadInt(listener);
        MoveTo(serviceCgroup, parent);
        listener.StandardInput.WriteLine("fork");
        int child = ReadInt(listener);
        _extraPids.Add(child);

        var renamed = Start(RenamedUdp, HostileName);
        int renamedPid = ReadInt(renamed);
        MoveTo(containerCgroup, renamedPid);

        ulong listenerInode = Assert.Single(SocketInodes(parent).Values);
        Assert.Equal(listenerInode, Assert.Single(SocketInodes(child).Values));
        ulong udpInode = Assert.Single(SocketInodes(renamedPid).Values);
        Assert.Equal(HostileName, File.ReadAllText($"/proc/{renamedPid}/comm").TrimEnd('\n'));
        Assert.Contains($"0::/cxt-test.slice/{service}\n", File.ReadAllText($"/proc/{child}/cgroup"));

        var resolver = new ProcessResolver("/proc", NullLogger.Instance, kernelIterator);
        var owners = resolver.Resolve(new HashSet<ulong> { listenerInode, udpInode, 0 });
        Assert.Equal(kernelIterator, resolver.UsedKernelIterator);

        var shared = owners.Get(listenerInode);
        Assert.Equal([parent, child], shared.Select(p => p.Pid));
        foreach (var p in shared)
            Assert.Equal(Expected(p.Pid, service, container: null), p);

        var hostile = Assert.Single(owners.Get(udpInode));
        Assert.Equal(Expected(renamedPid, $"docker-{containerId}.scope", containerId), hostile);
        Assert.Equal(HostileName, hostile.Name);
        Assert.Empty(owners.Get(0));
    }

    [RootFact]
    public void Steady_state_reads_few_links_yet_follows_opens_and_closes()
    {
        const int count = 1000;
        var holder = Start(ManySockets, count.ToString());
        int pid = ReadInt(holder);
        var fds = SocketInodes(pid);
        Assert.Equal(count, fds.Count);
        // Only the holder's links may count: scanning the whole host would add whatever other
        // processes open and close meanwhile. A procfs view holding just the real
        // /proc/<pid> (bind-mounted, so the kernel still serves every file) isolates it.
        using var view = SingleProcessProcfs.Of(pid);
        var resolver = new ProcessResolver(view.Root, NullLogger.Instance);

        var clock = Stopwatch.StartNew();
        var cold = resolver.Resolve(fds.Values.ToHashSet());
        var coldTime = clock.Elapsed;
        Assert.Equal(1, cold.ProcessesScanned);
        Assert.True(cold.FdLinksRead >= count, $"cold scan read {cold.FdLinksRead} links");
        Assert.All(fds.Values, inode => Assert.Equal(pid, Assert.Single(cold.Get(inode)).Pid));

        // Close one socket and open another: it takes the freed fd number.
        var (closedFd, closedInode) = fds.First();
        holder.StandardInput.WriteLine($"close {closedFd}");
        Assert.Equal("ok", ReadLine(holder));
        holder.StandardInput.WriteLine("open");
        int openedFd = ReadInt(holder);
        Assert.Equal(closedFd, openedFd);
        fds = SocketInodes(pid);
        ulong openedInode = fds[openedFd];
        Assert.NotEqual(closedInode, openedInode);

        clock.Restart();
        var steady = resolver.Resolve(fds.Values.ToHashSet());
        var steadyTime = clock.Elapsed;

        // Isolated from other processes, the bound can be tight: the re-used fd number, not the
        // 999 unchanged ones (a full re-read would be ≥ count).
        Assert.InRange(steady.FdLinksRead, 1, 10);
        Assert.Equal(pid, Assert.Single(steady.Get(openedInode)).Pid);
        Assert.Empty(steady.Get(closedInode));
        Assert.All(fds.Values, inode => Assert.Equal(pid, Assert.Single(steady.Get(inode)).Pid));
        output.WriteLine($"cold: {coldTime.TotalMilliseconds:F1} ms, {cold.ProcessesScanned} processes, {cold.FdLinksRead} links; " +
            $"steady: {steadyTime.TotalMilliseconds:F1} ms, {steady.FdLinksRead} links, full rescan {steady.FullRescan}, " +
            $"listings skipped {steady.FdListingsSkipped}");
    }

    [RootFact]
    public void A_process_with_thousands_of_sockets_is_read_over_every_core_and_every_owner_found()
    {
        // Above FdLinkBatch's threshold (2048 reads per worker) the links are read in parallel;
        // the result must be exactly the sequential one: every socket, one owner, no stray inode.
        const int count = 9000;
        var holder = Start(ManySocketsRaisedLimit, count.ToString());
        int pid = ReadInt(holder);
        var fds = SocketInodes(pid);
        Assert.Equal(count, fds.Count);
        using var view = SingleProcessProcfs.Of(pid);
        var resolver = new ProcessResolver(view.Root, NullLogger.Instance);

        var wanted = fds.Values.ToHashSet();
        var cold = resolver.Resolve(wanted);
        Assert.True(cold.FdLinksRead >= count, $"cold scan read {cold.FdLinksRead} links");
        Assert.All(fds.Values, inode => Assert.Equal(pid, Assert.Single(cold.Get(inode)).Pid));

        // A full re-read (as after a newly unowned socket) goes through the same batch again.
        holder.StandardInput.WriteLine($"close {fds.Keys.Max()}");
        Assert.Equal("ok", ReadLine(holder));
        var after = SocketInodes(pid);
        var again = resolver.Resolve(after.Values.ToHashSet());
        Assert.Equal(count - 1, after.Count);
        Assert.All(after.Values, inode => Assert.Equal(pid, Assert.Single(again.Get(inode)).Pid));
    }

    private const string ManySocketsRaisedLimit = """
        import os, resource, socket, sys
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(int(sys.argv[1]))]
        print(os.getpid(), flush=True)
        for line in sys.stdin:
            cmd = line.split()
            if cmd[0] == "close":
                for s in socks:
                    if s.fileno() == int(cmd[1]): s.close()
                print("ok", flush=True)
        """;

    [RootFact]
    public void A_socket_opened_in_place_of_a_pipe_is_found()
    {
        var holder = Start(ManySockets, "100");
        int pid = ReadInt(holder);
        var resolver = new ProcessResolver("/proc", NullLogger.Instance);
        resolver.Resolve(SocketInodes(pid).Values.ToHashSet());

        // Same fd count, same fd number, no wanted socket gone: nothing but an unowned socket
        // betrays the change.
        holder.StandardInput.WriteLine("swap");
        var fds = ReadLine(holder).Split(' ').Select(int.Parse).ToArray();
        Assert.Equal(fds[1], fds[0]);
        var inodes = SocketInodes(pid);
        ulong swapped = inodes[fds[0]];

        var owners = resolver.Resolve(inodes.Values.ToHashSet());

        Assert.Equal(pid, Assert.Single(owners.Get(swapped)).Pid);
        Assert.All(inodes.Values, inode => Assert.Equal(pid, Assert.Single(owners.Get(inode)).Pid));
        output.WriteLine($"full rescan: {owners.FullRescan}, listings skipped: {owners.FdListingsSkipped}");
        Assert.False(resolver.Resolve(inodes.Values.ToHashSet()).FullRescan);
    }

    private static ProcessInfo Expected(int pid, string? unit, string? container) => new(
        pid,
        StartTime(pid),
        File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n'),
        new FileInfo($"/proc/{pid}/exe").LinkTarget,
        unit,
        container);

    /// <summary>Field 22, counted independently of the parser under test.</summary>
    private static ulong StartTime(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return ulong.Parse(fields[22 - 3]);
    }

    private static Dictionary<int, ulong> SocketInodes(int pid)
    {
        var result = new Dictionary<int, ulong>();
        foreach (var link in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            string? target = new FileInfo(link).LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                result[int.Parse(Path.GetFileName(link))] = ulong.Parse(target["socket:[".Length..^1]);
        }
        return result;
    }

    private Process Start(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        _processes.Add(p);
        return p;
    }

    private static string ReadLine(Process p) =>
        p.StandardOutput.ReadLineAsync().WaitAsync(Patience).GetAwaiter().GetResult()
        ?? throw new InvalidOperationException("the helper process exited");

    private static int ReadInt(Process p) => int.Parse(ReadLine(p));

    /// <summary>The real interpreter, not a version manager's shell shim.</summary>
    private static readonly Lazy<string> PythonPath = new(() =>
        TestNamespace.Run("python3", "-c \"import sys; print(sys.executable)\"").Trim());

    private static string Python => PythonPath.Value;

    private static string CgroupV2Root =>
        File.Exists("/sys/fs/cgroup/unified/cgroup.procs") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";

    private string MakeCgroup(string name)
    {
        string slice = Path.Combine(CgroupV2Root, "cxt-test.slice");
        Directory.CreateDirectory(slice);
        string path = Path.Combine(slice, name);
        Directory.CreateDirectory(path);
        _cgroups.Add(path);
        return path;
    }

    private static void MoveTo(string cgroup, int pid) =>
        File.WriteAllText(Path.Combine(cgroup, "cgroup.procs"), pid.ToString());

    private static byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    public void Dispose()
    {
        foreach (int pid in _extraPids)
        {
            try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
        ChildProcesses.StopAll(_processes);
        foreach (var cgroup in _cgroups)
        {
            // Killed processes leave the cgroup once reaped; orphans are reaped by init.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (File.ReadAllText(Path.Combine(cgroup, "cgroup.procs")).Length > 0 && DateTime.UtcNow < deadline)
                Thread.Sleep(50);
            try { Directory.Delete(cgroup); } catch (IOException) { }
        }
        if (_cgroups.Count > 0)
        {
            try { Directory.Delete(Path.GetDirectoryName(_cgroups[0])!); } catch (IOException) { }
        }
    }
}
