namespace ConnExporter.Inventory;

/// <summary>
/// What enrichment learned about one socket of a snapshot, kept beside its
/// <see cref="SocketRecord"/> (same index) instead of in a <see cref="Connection"/> per socket:
/// 40 bytes, and the strings, owner lists, namespaces and containers are shared, not copied.
/// </summary>
/// <param name="Interface">An interface name from the namespace's <see cref="InterfaceTable"/>.</param>
/// <param name="Owners">The list <see cref="SocketOwners.Get"/> returned; empty when unowned.</param>
/// <param name="Namespace">The socket's namespace; null stands for <see cref="NetworkNamespace.Host"/>.</param>
/// <param name="Container">See <see cref="Connection.Container"/>.</param>
internal readonly record struct SocketEnrichment(
    string Interface,
    IReadOnlyList<ProcessInfo> Owners,
    Direction Direction,
    NetworkNamespace? Namespace = null,
    ContainerIdentity? Container = null);
