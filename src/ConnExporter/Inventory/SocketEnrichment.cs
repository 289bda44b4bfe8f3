namespace ConnExporter.Inventory;

/// <summary>
/// What enrichment learned about one socket of a snapshot, kept beside its
/// <see cref="SocketRecord"/> (same index) instead of in a <see cref="Connection"/> per socket:
/// 24 bytes, and the strings and owner lists are shared, not copied.
/// </summary>
/// <param name="Interface">An interface name from the <see cref="InterfaceTable"/>.</param>
/// <param name="Owners">The list <see cref="SocketOwners.Get"/> returned; empty when unowned.</param>
internal readonly record struct SocketEnrichment(string Interface, IReadOnlyList<ProcessInfo> Owners, Direction Direction);
