using System.Globalization;
using System.Text.RegularExpressions;

namespace ConnExporter.Inventory;

/// <summary>
/// Which network namespaces a snapshot reads and shows: the host's alone, every one on the
/// host, or one picked by its inode or by the container that holds it
/// (<c>--netns host|all|&lt;inode&gt;|&lt;container name or id&gt;</c>).
/// </summary>
public sealed record NamespaceSelection
{
    private NamespaceSelection(bool readOthers, ulong? inode, string? container)
    {
        ReadsOtherNamespaces = readOthers;
        Inode = inode;
        Container = container;
    }

    /// <summary>Only the exporter's own namespace, as before namespaces were read.</summary>
    public static NamespaceSelection HostOnly { get; } = new(false, null, null);

    /// <summary>Every namespace on the host.</summary>
    public static NamespaceSelection All { get; } = new(true, null, null);

    /// <summary>Whether namespaces other than the host's must be discovered and read.</summary>
    public bool ReadsOtherNamespaces { get; }

    /// <summary>The one namespace wanted by inode, when picked so.</summary>
    public ulong? Inode { get; }

    /// <summary>The container name, full id or id prefix whose namespace is wanted.</summary>
    public string? Container { get; }

    /// <summary>
    /// Namespaces never read (<c>--collector.netns.exclude</c>): a namespace is left out when the
    /// expression matches its <c>ip netns</c> name or inode, its container's name or id, or its
    /// pod as <c>namespace/pod</c>. Unanchored, as node_exporter's <c>*-exclude</c> flags. The
    /// host's namespace is never excluded.
    /// </summary>
    public Regex? Exclude { get; private init; }

    /// <summary>This selection, leaving out the namespaces <paramref name="exclude"/> matches.</summary>
    public NamespaceSelection Excluding(Regex? exclude) => this with { Exclude = exclude };

    /// <summary>Whether <paramref name="ns"/> is left unread by <see cref="Exclude"/>.</summary>
    public bool Excludes(NetworkNamespace ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        if (Exclude is not { } exclude || ns.IsHost) return false;
        if (exclude.IsMatch(ns.Label) || (ns.PinnedName is not null && exclude.IsMatch(ns.Inode.ToString(CultureInfo.InvariantCulture))))
            return true;
        if (ns.Container is not { } c) return false;
        return (c.Name is { } name && exclude.IsMatch(name)) || exclude.IsMatch(c.Id)
            || (c.Pod is { } pod && exclude.IsMatch($"{c.PodNamespace}/{pod}"));
    }

    /// <summary>Parses a <c>--netns</c> value; the error names the flag and what it takes.</summary>
    /// <exception cref="FormatException">An empty value.</exception>
    public static NamespaceSelection Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
            throw new FormatException("expected host, all, a namespace inode or a container name or id");
        if (value == "host") return HostOnly;
        if (value == "all") return All;
        if (ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
            return new NamespaceSelection(true, inode, null);
        return new NamespaceSelection(true, null, value);
    }

    /// <summary>Whether a socket of <paramref name="ns"/> belonging to <paramref name="container"/> is shown.</summary>
    public bool Matches(NetworkNamespace ns, ContainerIdentity? container)
    {
        ArgumentNullException.ThrowIfNull(ns);
        if (!ReadsOtherNamespaces) return ns.IsHost;
        if (Inode is { } inode) return ns.Inode == inode;
        if (Container is { } wanted)
            return IsContainer(container, wanted) || IsContainer(ns.Container, wanted);
        return true;
    }

    private static bool IsContainer(ContainerIdentity? c, string wanted) =>
        c is not null && (string.Equals(c.Name, wanted, StringComparison.Ordinal)
            || c.Id.StartsWith(wanted, StringComparison.OrdinalIgnoreCase));
}
