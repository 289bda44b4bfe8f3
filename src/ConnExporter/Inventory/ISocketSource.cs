namespace ConnExporter.Inventory;

/// <summary>
/// Reads the sockets of the calling thread's network namespace from the kernel.
/// A source knows nothing of processes, interfaces or Prometheus.
/// </summary>
public interface ISocketSource
{
    /// <summary>The value of <c>--collector.source</c> that selects this source.</summary>
    string Name { get; }

    /// <summary>
    /// Appends every socket of the requested kinds to <paramref name="sink"/>. A family the
    /// kernel does not have (IPv6 disabled) yields nothing, not an error. Records the kernel
    /// gave in a shape that cannot be parsed are skipped and counted in the result.
    /// </summary>
    /// <param name="tcp">When not null, receives one entry per record appended to
    /// <paramref name="sink"/>, at the same index: the socket's tcp_info, or null where there is
    /// none (UDP, TIME_WAIT and request sockets, a source that cannot read it, a source not told
    /// to ask for it). Null when the caller reads no tcp_info: nothing is kept for it then.</param>
    /// <exception cref="SocketSourceUnavailableException">The source cannot be used at all
    /// here (netlink refused, /proc/net unreadable); the caller may fall back to another.</exception>
    SourceReadResult Read(SocketKinds kinds, List<SocketRecord> sink, List<TcpHealth?>? tcp = null);
}

/// <summary>What a read skipped, so it can be counted and logged rather than thrown.</summary>
/// <param name="Malformed">Records the kernel returned that could not be parsed.</param>
/// <param name="FirstProblem">A description of the first malformed record, for the log.</param>
public readonly record struct SourceReadResult(int Malformed, string? FirstProblem)
{
    public static SourceReadResult Clean => default;

    public SourceReadResult Add(SourceReadResult other) =>
        new(Malformed + other.Malformed, FirstProblem ?? other.FirstProblem);
}

/// <summary>A source cannot run in this environment at all (as opposed to one bad record).</summary>
public sealed class SocketSourceUnavailableException : Exception
{
    public SocketSourceUnavailableException(string message, int errno = 0, Exception? inner = null)
        : base(message, inner) => Errno = errno;

    public SocketSourceUnavailableException() { }
    public SocketSourceUnavailableException(string message) : base(message) { }
    public SocketSourceUnavailableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The errno that caused it, 0 when none applies.</summary>
    public int Errno { get; }
}
