namespace ConnExporter.Inventory;

/// <summary>
/// The processes holding each socket inode, from one <see cref="ProcessResolver.Resolve"/>
/// call, and what that call cost. Immutable.
/// </summary>
public sealed class SocketOwners
{
    private readonly Dictionary<ulong, IReadOnlyList<ProcessInfo>> _owners;

    internal SocketOwners(Dictionary<ulong, IReadOnlyList<ProcessInfo>> owners, in ResolveCounters counters)
    {
        _owners = owners;
        ProcessesScanned = counters.ProcessesScanned;
        ProcessesRead = counters.ProcessesRead;
        FdLinksRead = counters.FdLinksRead;
        FdListingsSkipped = counters.FdListingsSkipped;
        ProcessesDenied = counters.ProcessesDenied;
        FullRescan = counters.FullRescan;
        DescriptorsExhausted = counters.DescriptorsExhausted;
    }

    public static SocketOwners Empty { get; } = new([], default);

    /// <summary>
    /// The distinct processes (by pid, ascending) holding <paramref name="inode"/>; an empty
    /// shared list when none is known (inode 0, kernel-held, or hidden from us).
    /// </summary>
    public IReadOnlyList<ProcessInfo> Get(ulong inode) =>
        _owners.TryGetValue(inode, out var owners) ? owners : [];

    /// <summary>How many of the asked inodes have at least one owner.</summary>
    public int OwnedSockets => _owners.Count;

    /// <summary>Processes whose stat was read in this call (twice if a full rescan ran).</summary>
    public int ProcessesScanned { get; }

    /// <summary>Processes new to the cache (or changed by exec) whose comm, exe and cgroup were read.</summary>
    public int ProcessesRead { get; }

    /// <summary><c>/proc/&lt;pid&gt;/fd/&lt;n&gt;</c> links read in this call.</summary>
    public int FdLinksRead { get; }

    /// <summary>
    /// Processes whose fd directory was not even listed: the kernel's count of open fds and the
    /// cached sockets said nothing changed (Linux ≥ 6.2).
    /// </summary>
    public int FdListingsSkipped { get; }

    /// <summary>Processes whose fd table we may not read (EACCES): their sockets show no owner.</summary>
    public int ProcessesDenied { get; }

    /// <summary>Whether this call re-read every fd link to resolve sockets the cache could not.</summary>
    public bool FullRescan { get; }

    /// <summary>
    /// The walk stopped early because the exporter (EMFILE) or the host (ENFILE) ran out of file
    /// descriptors: the owners are incomplete and must not be reported as if sockets had none.
    /// </summary>
    public bool DescriptorsExhausted { get; }
}

/// <summary>What one resolve cost, accumulated while scanning.</summary>
internal struct ResolveCounters
{
    public int ProcessesScanned;
    public int ProcessesRead;
    public int FdLinksRead;
    public int FdListingsSkipped;
    public int ProcessesDenied;
    public bool FullRescan;
    public bool DescriptorsExhausted;
    public Interop.Errno ExhaustedErrno;

    /// <summary>Some fd was not re-read because its cached value was trusted.</summary>
    public bool TrustedCache;
}
