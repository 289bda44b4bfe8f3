namespace ConnExporter.Inventory;

/// <summary>One socket of a snapshot with what enrichment learned about it.</summary>
/// <param name="Owners">Processes holding the socket; empty when unowned (TIME_WAIT, request
/// and orphaned sockets have inode 0) or when owners were not resolved.</param>
/// <param name="Tcp">The socket's tcp_info essentials; null when the kernel gave none (UDP,
/// TIME_WAIT and request sockets, the procfs source) or the snapshot was taken without asking
/// for them (<see cref="InventoryOptions.TcpInfo"/>).</param>
/// <param name="Namespace">The network namespace the socket lives in; the host's when null.</param>
/// <param name="Container">The container the socket belongs to: its first owner's when that
/// process runs in one, else the namespace's; null on the host and outside containers.</param>
/// <param name="ActualRemote">The real destination behind a destination NAT (conntrack's reply
/// source) when the connection was translated and conntrack was read; null otherwise.</param>
public readonly record struct Connection(
    SocketRecord Socket,
    string Interface,
    Direction Direction,
    IReadOnlyList<ProcessInfo> Owners,
    TcpHealth? Tcp = null,
    NetworkNamespace? Namespace = null,
    ContainerIdentity? Container = null,
    InetEndpoint? ActualRemote = null)
{
    public bool IsUnowned => Owners.Count == 0;

    /// <summary>The socket's namespace, never null (the host's when none was given).</summary>
    public NetworkNamespace Netns => Namespace ?? NetworkNamespace.Host;
}
