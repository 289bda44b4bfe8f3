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
    private static List<(int Fd, ulong Inode)> OwnSocketFds()
    {
        var result = new List<(int, ulong)>();
        foreach (string path in Directory.GetFileSystemEntries("/proc/self/fd"))
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
