namespace ConnExporter.Inventory;

/// <summary>
/// One network namespace of the host, as a snapshot saw it: its identity (the inode of
/// <c>/proc/&lt;pid&gt;/ns/net</c>) and the container it belongs to, when one does. Each
/// namespace has its own sockets, interfaces and listening ports.
/// </summary>
/// <param name="Inode">The namespace's inode number (what <c>ls -L -i /proc/&lt;pid&gt;/ns/net</c>
/// and <c>lsns -t net</c> print); 0 for the host namespace when it was not read.</param>
/// <param name="IsHost">The exporter's own namespace: its series carry no container labels,
/// exactly as before namespaces were read.</param>
/// <param name="Container">The container whose processes hold the namespace (for a pod: one of
/// its containers, with the pod's name); null for the host and for namespaces no container
/// claims (<c>ip netns</c>, a pinned namespace without processes).</param>
public sealed record NetworkNamespace(ulong Inode, bool IsHost, ContainerIdentity? Container = null)
{
    /// <summary>The host namespace when nothing else is known (ready-made snapshots, tests).</summary>
    public static NetworkNamespace Host { get; } = new(0, IsHost: true);
}
