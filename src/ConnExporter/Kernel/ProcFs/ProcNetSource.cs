using System.Buffers;
using System.Runtime.InteropServices;
using ConnExporter.Inventory;
using Microsoft.Win32.SafeHandles;

namespace ConnExporter.Kernel.ProcFs;

/// <summary>
/// Reads sockets from the text tables in a procfs net directory (<c>tcp</c>, <c>tcp6</c>,
/// <c>udp</c>, <c>udp6</c>). Slower than sock_diag and blind to cookies, bound interfaces and
/// tcp_info, but it needs nothing beyond read access to /proc, so it is the fallback when netlink
/// is refused.
/// </summary>
public sealed class ProcNetSource : ISocketSource
{
    /// <summary>The calling process's namespace. <c>/proc/thread-self/net</c> follows a thread
    /// that entered another namespace with setns.</summary>
    public const string DefaultNetDirectory = "/proc/net";

    // procfs reports st_size 0, so files are read until EOF. The cap (about 1.7 million rows of
    // ~150 bytes) keeps a runaway table from taking the host's memory during one scrape.
    internal const int MaxFileBytes = 256 * 1024 * 1024;
    private const int MinimumBufferBytes = 64 * 1024;

    private static readonly ProcNetTable[] Tables =
    [
        new(SocketKinds.Tcp4, "tcp", SocketProtocol.Tcp, IpFamily.IPv4),
        new(SocketKinds.Tcp6, "tcp6", SocketProtocol.Tcp, IpFamily.IPv6),
        new(SocketKinds.Udp4, "udp", SocketProtocol.Udp, IpFamily.IPv4),
        new(SocketKinds.Udp6, "udp6", SocketProtocol.Udp, IpFamily.IPv6),
    ];

    // The largest table seen so far, so the next read rents a big enough buffer at once.
    // A racy int is fine: it is only a size hint.
    private int _bufferSizeHint = MinimumBufferBytes;

    /// <param name="netDirectory">A procfs net directory such as <c>/proc/net</c>,
    /// <c>/proc/thread-self/net</c> or <c>/proc/&lt;pid&gt;/net</c>, or a directory of fixtures.</param>
    public ProcNetSource(string netDirectory = DefaultNetDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(netDirectory);
        NetDirectory = netDirectory;
    }

    public string Name => "procfs";

    public string NetDirectory { get; }

    /// <inheritdoc />
    /// <remarks>A table file that does not exist (tcp6 and udp6 when IPv6 is disabled) yields
    /// nothing. I/O errors other than a missing or unreadable directory propagate as
    /// <see cref="IOException"/>. procfs has no tcp_info: a <paramref name="tcp"/> list receives
    /// null for every record, table by table, so it stays in step with <paramref name="sink"/>
    /// even when a later table throws.</remarks>
    public SourceReadResult Read(SocketKinds kinds, List<SocketRecord> sink, List<TcpHealth?>? tcp = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var result = SourceReadResult.Clean;
        if ((kinds & SocketKinds.All) == 0) return result;

        byte[] buffer = ArrayPool<byte>.Shared.Rent(_bufferSizeHint);
        try
        {
            foreach (var table in Tables)
            {
                if ((kinds & table.Kind) == 0) continue;
                string path = Path.Combine(NetDirectory, table.FileName);
                if (!TryReadFile(path, ref buffer, out int length, out bool cut)) continue;
                if (length > _bufferSizeHint) _bufferSizeHint = Math.Min(length + length / 4, MaxFileBytes);

                int before = sink.Count;
                var parsed = ProcNetSocketTable.Parse(buffer.AsSpan(0, length), table.Protocol, table.Family, sink);
                if (tcp is not null) AppendAbsent(tcp, sink.Count - before);
                if (parsed.Malformed > 0) parsed = parsed with { FirstProblem = $"{path} {parsed.FirstProblem}" };
                if (cut)
                {
                    parsed = parsed.Add(new SourceReadResult(
                        1, $"{path}: larger than {MaxFileBytes} bytes, the rest was not read"));
                }
                result = result.Add(parsed);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return result;
    }

    /// <summary>Appends <paramref name="count"/> nulls (no tcp_info) in one step, not one by one.</summary>
    private static void AppendAbsent(List<TcpHealth?> tcp, int count)
    {
        int start = tcp.Count;
        CollectionsMarshal.SetCount(tcp, start + count);
        // SetCount exposes whatever the backing array held past the old count (a list that was
        // shrunk keeps its old values): clear the new entries to null.
        CollectionsMarshal.AsSpan(tcp)[start..].Clear();
    }

    /// <summary>
    /// Reads <paramref name="path"/> in one pass until EOF (or <see cref="MaxFileBytes"/>, then
    /// <paramref name="cut"/> is set) into <paramref name="buffer"/>, growing it through the pool.
    /// Returns false when the file does not exist but its directory does.
    /// </summary>
    private static bool TryReadFile(string path, ref byte[] buffer, out int length, out bool cut)
    {
        length = 0;
        cut = false;
        using SafeFileHandle handle = Open(path);
        if (handle.IsInvalid) return false;

        while (true)
        {
            int capacity = Math.Min(buffer.Length, MaxFileBytes);
            if (length == capacity)
            {
                if (length >= MaxFileBytes)
                {
                    // Full at the cap: it is cut only if something is left to read.
                    Span<byte> probe = stackalloc byte[1];
                    cut = RandomAccess.Read(handle, probe, length) > 0;
                    return true;
                }
                byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxFileBytes));
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
            // seq_file fills as much of the request as it has rows for and keeps its position
            // when reads continue at the offset it stopped at, so this is a single pass.
            capacity = Math.Min(buffer.Length, MaxFileBytes);
            int read = RandomAccess.Read(handle, buffer.AsSpan(length, capacity - length), length);
            if (read == 0) return true;
            length += read;
        }
    }

    /// <summary>Opens a table; an invalid handle when only the file is missing.</summary>
    private static SafeFileHandle Open(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (FileNotFoundException)
        {
            // .NET reports ENOENT as FileNotFound only when the directory exists: the kernel has
            // no such table (IPv6 disabled).
            return new SafeFileHandle();
        }
        catch (DirectoryNotFoundException e)
        {
            throw new SocketSourceUnavailableException(
                $"{Path.GetDirectoryName(path)} does not exist, so the procfs socket source cannot read {path}. " +
                "Mount /proc (with systemd, ProcSubset=pid hides /proc/net: use ProcSubset=all) " +
                "or use --collector.source=netlink.",
                (int)Interop.Errno.ENOENT, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new SocketSourceUnavailableException(
                $"Permission denied reading {path}. Give the exporter read access to /proc/net " +
                "(check hidepid= on /proc, ProtectProc=/ProcSubset= in the unit, SELinux/AppArmor) " +
                "or use --collector.source=netlink.",
                (int)Interop.Errno.EACCES, e);
        }
    }

    private readonly record struct ProcNetTable(
        SocketKinds Kind, string FileName, SocketProtocol Protocol, IpFamily Family);
}
