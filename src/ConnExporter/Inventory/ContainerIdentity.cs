namespace ConnExporter.Inventory;

/// <summary>
/// A container as the node's own files name it: the runtime's id and, where a runtime or the
/// kubelet wrote it down, a human name and the Kubernetes pod it belongs to. Immutable and
/// shared: one instance per container id, cached between collections.
/// </summary>
/// <param name="Id">The id as the runtime spells it (64 hex digits for Docker, containerd,
/// CRI-O and podman).</param>
/// <param name="Name">The Docker or podman container name, or on Kubernetes the container's
/// name in its pod spec; null when no file on the node names it.</param>
/// <param name="Pod">The Kubernetes pod name; null outside Kubernetes or when unknown.</param>
/// <param name="PodNamespace">The Kubernetes namespace of <paramref name="Pod"/>.</param>
public sealed record ContainerIdentity(string Id, string? Name = null, string? Pod = null, string? PodNamespace = null)
{
    /// <summary>The first 12 characters of the id, as <c>docker ps</c> shows it.</summary>
    public string ShortId { get; } = Id.Length > 12 ? Id[..12] : Id;

    /// <summary>What a person reads in a label or column: the name, else the short id.</summary>
    public string DisplayName => Name ?? ShortId;
}
