using System.Globalization;

namespace ConnExporter.Inventory;

/// <summary>
/// One network namespace of the host, as a snapshot saw it: its identity (the inode of
/// <c>/proc/&lt;pid&gt;/ns/net</c>) and the container it belongs to, when one does. Each
/// namespace has its own sockets, interfaces and listening ports. Immutable; one instance per
/// namespace is shared by all its sockets (and kept between snapshots while it lives).
/// </summary>
public sealed class NetworkNamespace
{
    /// <param name="inode">The namespace's inode number (what <c>ls -L -i /proc/&lt;pid&gt;/ns/net</c>
    /// and <c>lsns -t net</c> print); 0 for the host namespace when it was not read.</param>
    /// <param name="isHost">The exporter's own namespace: its series carry no container labels,
    /// exactly as before namespaces were read.</param>
    /// <param name="container">The container whose processes hold the namespace (for a pod: one of
    /// its containers, with the pod's name); null for the host and for namespaces no container
    /// claims (<c>ip netns</c>, a pinned namespace without processes).</param>
    /// <param name="pinnedName">The name <c>ip netns</c> gives it (a pin under <c>/run/netns</c>).</param>
    public NetworkNamespace(ulong inode, bool isHost, ContainerIdentity? container = null, string? pinnedName = null)
    {
        Inode = inode;
        IsHost = isHost;
        Container = container;
        PinnedName = pinnedName;
        Label = pinnedName ?? inode.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The host namespace when nothing else is known (ready-made snapshots, tests).</summary>
    public static NetworkNamespace Host { get; } = new(0, isHost: true);

    public ulong Inode { get; }

    public bool IsHost { get; }

    public ContainerIdentity? Container { get; }

    public string? PinnedName { get; }

    /// <summary>How a person names it when no container does: its <c>ip netns</c> name, else its inode.</summary>
    public string Label { get; }

    public override string ToString() => IsHost ? $"host ({Inode})" : Container is { } c ? $"{Label} ({c.DisplayName})" : Label;
}
