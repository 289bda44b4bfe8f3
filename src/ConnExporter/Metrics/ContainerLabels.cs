using System.Runtime.CompilerServices;
using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// The labels that set a series of another network namespace apart from the host's:
/// <c>container</c> (its name, else the short id) and, on Kubernetes, <c>pod</c> and
/// <c>namespace</c>; a namespace no container claims (<c>ip netns</c>) is <c>netns</c> (its name,
/// else its inode) instead. The host's sockets have none, so the host's series are exactly what
/// they were before namespaces were read. Holds only strings the inventory already owns: building
/// one per socket allocates nothing.
/// </summary>
public readonly record struct ContainerLabels(string? Container, string? Pod, string? PodNamespace, string? Netns)
{
    /// <summary>No extra label: the host's namespace.</summary>
    public static ContainerLabels Host => default;

    public bool IsHost => Container is null && Netns is null;

    public static ContainerLabels Of(in Connection c)
    {
        var ns = c.Netns;
        if (ns.IsHost) return default;
        var container = c.Container ?? ns.Container;
        return container is null
            ? new ContainerLabels(null, null, null, ns.Label)
            : new ContainerLabels(container.DisplayName, container.Pod, container.PodNamespace, null);
    }

    /// <summary>The labels of a container a cgroup names (the eBPF families, which see cgroups, not
    /// namespaces): none for null, the host's processes.</summary>
    public static ContainerLabels Of(ContainerIdentity? container) =>
        container is null ? default : new ContainerLabels(container.DisplayName, container.Pod, container.PodNamespace, null);

    /// <summary>Folded series of a capped family: every label of the fold is <c>other</c>.</summary>
    public static ContainerLabels Other => new(SeriesCap.Other, null, null, null);

    /// <summary><paramref name="fixedLabels"/> followed by these labels, in a buffer on the caller's stack.</summary>
    public ReadOnlySpan<Label> Append(ReadOnlySpan<Label> fixedLabels, ref LabelBuffer buffer)
    {
        Span<Label> all = buffer;
        fixedLabels.CopyTo(all);
        int n = fixedLabels.Length;
        if (Container is not null) all[n++] = new Label("container", Container);
        if (Pod is not null) all[n++] = new Label("pod", Pod);
        if (PodNamespace is not null) all[n++] = new Label("namespace", PodNamespace);
        if (Netns is not null) all[n++] = new Label("netns", Netns);
        return all[..n];
    }

    /// <summary>Writes these labels into a sample begun with <see cref="ExpositionWriter.BeginSample"/>.</summary>
    public void WriteTo(ExpositionWriter writer)
    {
        if (Container is not null) writer.WriteLabel("container", Container);
        if (Pod is not null) writer.WriteLabel("pod", Pod);
        if (PodNamespace is not null) writer.WriteLabel("namespace", PodNamespace);
        if (Netns is not null) writer.WriteLabel("netns", Netns);
    }

    /// <summary>Orders the host first, then containers by name: stable output.</summary>
    public static int Compare(ContainerLabels a, ContainerLabels b)
    {
        int c = string.CompareOrdinal(a.Container ?? a.Netns, b.Container ?? b.Netns);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.PodNamespace, b.PodNamespace);
        return c != 0 ? c : string.CompareOrdinal(a.Pod, b.Pod);
    }
}

/// <summary>Room for a family's labels plus <see cref="ContainerLabels"/>' four, on the stack.</summary>
[InlineArray(16)]
public struct LabelBuffer
{
    private Label _first;
}
