namespace ConnExporter.Kernel.Namespaces;

/// <summary>One network namespace found on the host, and how it can be reached.</summary>
/// <param name="Inode">The namespace's inode number.</param>
/// <param name="Members">Some processes in it, lowest pid first (at most
/// <see cref="NamespaceDiscovery.MembersKept"/>): their <c>/proc/&lt;pid&gt;/net</c> shows its sockets.</param>
/// <param name="PinnedPath">A bind mount that holds it (<c>/run/netns/&lt;name&gt;</c>,
/// <c>/var/run/docker/netns/&lt;id&gt;</c>), when one does; it can be entered with setns even
/// when no process is left.</param>
internal sealed record DiscoveredNamespace(ulong Inode, List<int> Members, string? PinnedPath)
{
    /// <summary>The name under <c>/run/netns</c> (what <c>ip netns</c> lists), when pinned there.</summary>
    public string? PinnedName { get; init; }
}
