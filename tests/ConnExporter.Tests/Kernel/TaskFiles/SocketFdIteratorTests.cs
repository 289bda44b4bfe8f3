using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ConnExporter.Kernel.TaskFiles;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Kernel.TaskFiles;

/// <summary>
/// The task/file iterator against the real kernel: it must report exactly what
/// <c>/proc/&lt;pid&gt;/fd</c> shows of a process's sockets, and nothing that is not a socket.
/// </summary>
public sealed class SocketFdIteratorTests
{
    [RootFact]
    public void Reports_every_socket_descriptor_of_this_process_with_its_inode_and_no_other_file()
    {
        using var iterator = SocketFdIterator.TryLoad("/sys/kernel/btf/vmlinux", "/proc", out string? problem);
        Assert.True(iterator is not null, problem);

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var udp = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        using var file = File.OpenRead("/proc/self/status");
        var expected = OwnSocketFds();
        Assert.Contains(expected, e => e.Fd == (int)listener.Handle);
        Assert.Contains(expected, e => e.Fd == (int)udp.Handle);

        var records = ReadAll(iterator);
        var mine = records.Where(r => r.Pid == Environment.ProcessId).Select(r => (r.Fd, r.Inode)).ToHashSet();
        // Sockets of this test process other tests open and close meanwhile may differ; these may not.
        foreach (int fd in new[] { (int)listener.Handle, (int)udp.Handle })
            Assert.Contains(expected.Single(e => e.Fd == fd), mine);
        Assert.DoesNotContain(mine, m => m.Fd == (int)file.SafeFileHandle.DangerousGetHandle());
        Assert.All(records, r => Assert.NotEqual(0UL, r.Inode));
    }

    // Sockets of every kind a process holds, a dup of one, non-sockets beside them, and a
    // thread with a descriptor table of its own (unshare(CLONE_FILES)) holding one more socket.
    private const string Holder = """
        import ctypes, os, socket, sys, threading
        listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen()
        client = socket.create_connection(listener.getsockname()); server, _ = listener.accept()
        udp6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        a, b = socket.socketpair()
        copy = os.dup(client.fileno())
        r, w = os.pipe(); f = open("/proc/self/status")
        ready = threading.Event()
        def own_table():
            ctypes.CDLL(None, use_errno=True).unshare(0x400)  # CLONE_FILES
            global private; private = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            ready.set(); threading.Event().wait()
        threading.Thread(target=own_table, daemon=True).start(); ready.wait()
        print(os.getpid(), private.fileno(), flush=True)
        sys.stdin.readline()
        """;

    [RootFact]
    public void Reports_exactly_the_sockets_proc_shows_of_another_process_and_those_of_a_thread_with_its_own_table()
    {
        using var iterator = SocketFdIterator.TryLoad("/sys/kernel/btf/vmlinux", "/proc", out string? problem);
        Assert.True(iterator is not null, problem);
        var psi = new ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Holder);
        var holder = Process.Start(psi)!;
        try
        {
            var line = holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult()!.Split(' ');
            AssertMatchesProc(iterator, pid: int.Parse(line[0]), privateFd: int.Parse(line[1]));
        }
        finally
        {
            ChildProcesses.StopAll([holder]);
        }
    }

    private static void AssertMatchesProc(SocketFdIterator iterator, int pid, int privateFd)
    {
        var shown = ProcSocketFds($"/proc/{pid}/fd");
        Assert.Equal(7, shown.Count); // listener, client, server, udp6, a, b, the dup

        var reported = ReadAll(iterator).Where(r => r.Pid == pid).Select(r => (r.Fd, r.Inode)).ToList();
        // The leader's table, exactly: every socket, the dup under its own number, no pipe or file.
        foreach (var s in shown) Assert.Contains(s, reported);
        // The thread's table is a copy of the leader's at unshare plus its own socket: that one
        // is reported under the process (the /proc walk, reading the leader's table, misses it).
        var extra = reported.Except(shown).ToList();
        var privateSocket = Assert.Single(extra);
        Assert.Equal(privateFd, privateSocket.Fd);
        Assert.DoesNotContain(privateSocket.Inode, shown.Select(s => s.Inode));
    }

    internal static List<SocketFdIterator.Record> ReadAll(SocketFdIterator iterator)
    {
        using var pass = iterator.Begin(out string? problem);
        Assert.True(pass is not null, problem);
        var all = new List<SocketFdIterator.Record>();
        while (pass.Next(out var batch, out problem))
            all.AddRange(batch);
        Assert.Null(problem);
        return all;
    }

    /// <summary>This process's socket descriptors as /proc/self/fd shows them.</summary>
    private static List<(int Fd, ulong Inode)> OwnSocketFds() => ProcSocketFds("/proc/self/fd");

    private static List<(int Fd, ulong Inode)> ProcSocketFds(string fdDirectory)
    {
        var result = new List<(int, ulong)>();
        foreach (string path in Directory.GetFileSystemEntries(fdDirectory))
        {
            string? target;
            try
            {
                target = new FileInfo(path).LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }
            if (target is null || !target.StartsWith("socket:[", StringComparison.Ordinal)) continue;
            result.Add((int.Parse(Path.GetFileName(path)), ulong.Parse(target[8..^1])));
        }
        return result;
    }
}
