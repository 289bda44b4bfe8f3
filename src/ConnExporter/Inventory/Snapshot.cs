namespace ConnExporter.Inventory;

/// <summary>
/// One consistent, immutable inventory of the sockets of every network namespace read, deduplicated and enriched,
/// shared by every consumer (the connections command, every /metrics view, the tests).
/// </summary>
public sealed class Snapshot
{
    public Snapshot(IReadOnlyList<Connection> connections, SnapshotStats stats, DateTimeOffset takenAt,
        IReadOnlyList<NetworkNamespace>? namespaces = null)
        : this(SnapshotConnections.From(connections), stats, takenAt, namespaces)
    {
    }

    internal Snapshot(SnapshotConnections connections, SnapshotStats stats, DateTimeOffset takenAt,
        IReadOnlyList<NetworkNamespace>? namespaces = null)
    {
        Connections = connections;
        Stats = stats;
        TakenAt = takenAt;
        Namespaces = namespaces ?? [NetworkNamespace.Host];
    }

    public SnapshotConnections Connections { get; }

    /// <summary>Every namespace this snapshot read, the host's first; each connection names its own.</summary>
    public IReadOnlyList<NetworkNamespace> Namespaces { get; }
    public SnapshotStats Stats { get; }
    public DateTimeOffset TakenAt { get; }
}

/// <summary>What taking a snapshot saw besides the sockets, for self-metrics and logs.</summary>
/// <param name="Source">The source that produced it (<c>netlink</c> or <c>procfs</c>).</param>
/// <param name="Malformed">Kernel records skipped as unparseable.</param>
/// <param name="Duplicates">Records dropped because a dump returned a socket twice.</param>
/// <param name="UnknownInterfaces">Sockets whose interface could not be determined.</param>
/// <param name="OwnersResolved">False when owner resolution was off.</param>
/// <param name="ProcessesDenied">Processes whose fds could not be read (missing privilege).</param>
public sealed record SnapshotStats(
    string Source,
    int Malformed,
    int Duplicates,
    int UnknownInterfaces,
    bool OwnersResolved,
    int ProcessesDenied)
{
    /// <summary>Network namespaces read, the host's included.</summary>
    public int NamespacesScanned { get; init; } = 1;

    /// <summary>Namespaces not read since the collector started, in the order of
    /// <c>NamespaceReadFailures.Reasons</c> (vanished, unreadable, error); empty when only the
    /// host's namespace is read.</summary>
    public IReadOnlyList<long> NamespaceReadFailures { get; init; } = [];

    /// <summary>
    /// The owner walk stopped early for want of file descriptors (EMFILE/ENFILE): owners are
    /// incomplete, so the collectors that need them fail this scrape rather than report sockets
    /// as unowned.
    /// </summary>
    public bool OwnersIncomplete { get; init; }

    /// <summary>How the other namespaces were read (<c>netlink</c> or <c>procfs</c>); null when none is.</summary>
    public string? OtherNamespacesSource { get; init; }
}
