namespace ConnExporter.Inventory;

/// <summary>One socket of a snapshot with what enrichment learned about it.</summary>
/// <param name="Owners">Processes holding the socket; empty when unowned (TIME_WAIT, request
/// and orphaned sockets have inode 0) or when owners were not resolved.</param>
/// <param name="Tcp">The socket's tcp_info essentials; null when the kernel gave none (UDP,
/// TIME_WAIT and request sockets, the procfs source) or the snapshot was taken without asking
/// for them (<see cref="InventoryOptions.TcpInfo"/>).</param>
public readonly record struct Connection(
    SocketRecord Socket,
    string Interface,
    Direction Direction,
    IReadOnlyList<ProcessInfo> Owners,
    TcpHealth? Tcp = null)
{
    public bool IsUnowned => Owners.Count == 0;
}
