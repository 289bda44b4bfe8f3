namespace ConnExporter.Inventory;

/// <summary>One socket of a snapshot with what enrichment learned about it.</summary>
/// <param name="Owners">Processes holding the socket; empty when unowned (TIME_WAIT, request
/// and orphaned sockets have inode 0) or when owners were not resolved.</param>
public readonly record struct Connection(
    SocketRecord Socket,
    string Interface,
    Direction Direction,
    IReadOnlyList<ProcessInfo> Owners)
{
    public bool IsUnowned => Owners.Count == 0;
}
