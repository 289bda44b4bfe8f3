namespace ConnExporter.Inventory.Containers;

/// <summary>
/// Pod and container names from the files the kubelet writes on every node, whatever the
/// runtime: <c>/var/log/pods/&lt;namespace&gt;_&lt;pod&gt;_&lt;uid&gt;/</c> (one directory per pod) and
/// <c>/var/log/containers/&lt;pod&gt;_&lt;namespace&gt;_&lt;container&gt;-&lt;id&gt;.log</c> (one link per
/// container; pkg/kubelet/kuberuntime/helpers.go, BuildContainerLogsDirectory and friends).
/// Listed again only when a directory changes; no API server, no runtime socket.
/// </summary>
internal sealed class KubeletLogDirectory
{
    private readonly string _pods;
    private readonly string _containers;
    private DateTime _podsListedAt = DateTime.MinValue;
    private DateTime _containersListedAt = DateTime.MinValue;
    private Dictionary<string, (string Namespace, string Pod)> _byPodUid = new(StringComparer.Ordinal);
    private Dictionary<string, (string Pod, string Namespace, string Container)> _byContainerId = new(StringComparer.Ordinal);

    /// <param name="varLog">The node's <c>/var/log</c>.</param>
    public KubeletLogDirectory(string varLog)
    {
        _pods = Path.Combine(varLog, "pods");
        _containers = Path.Combine(varLog, "containers");
    }

    public (string Namespace, string Pod)? PodOf(string podUid)
    {
        Refresh();
        return _byPodUid.TryGetValue(podUid, out var pod) ? pod : null;
    }

    public (string Pod, string Namespace, string Container)? ContainerOf(string id)
    {
        Refresh();
        return _byContainerId.TryGetValue(id, out var c) ? c : null;
    }

    private void Refresh()
    {
        if (Changed(_pods, ref _podsListedAt)) _byPodUid = ListPods(_pods);
        if (Changed(_containers, ref _containersListedAt)) _byContainerId = ListContainers(_containers);
    }

    private static bool Changed(string directory, ref DateTime listedAt)
    {
        try
        {
            var mtime = Directory.GetLastWriteTimeUtc(directory);
            if (mtime == listedAt) return false;
            listedAt = mtime;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static Dictionary<string, (string, string)> ListPods(string directory)
    {
        var pods = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var name in Names(directory, directories: true))
            if (ParsePodDirectory(name) is { } p) pods[p.Uid] = (p.Namespace, p.Pod);
        return pods;
    }

    private static Dictionary<string, (string, string, string)> ListContainers(string directory)
    {
        var containers = new Dictionary<string, (string, string, string)>(StringComparer.Ordinal);
        foreach (var name in Names(directory, directories: false))
            if (ParseContainerLog(name) is { } c) containers[c.Id] = (c.Pod, c.Namespace, c.Container);
        return containers;
    }

    private static IEnumerable<string> Names(string directory, bool directories)
    {
        try
        {
            var entries = directories ? Directory.GetDirectories(directory) : Directory.GetFiles(directory);
            return entries.Select(Path.GetFileName).OfType<string>();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary><c>&lt;namespace&gt;_&lt;pod&gt;_&lt;uid&gt;</c>: namespace and pod names are DNS labels
    /// and subdomains, which never contain '_', so the split is unambiguous.</summary>
    internal static (string Namespace, string Pod, string Uid)? ParsePodDirectory(string name)
    {
        var parts = name.Split('_');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0)) return null;
        return (parts[0], parts[1], parts[2]);
    }

    /// <summary><c>&lt;pod&gt;_&lt;namespace&gt;_&lt;container&gt;-&lt;64 hex id&gt;.log</c>.</summary>
    internal static (string Pod, string Namespace, string Container, string Id)? ParseContainerLog(string name)
    {
        if (!name.EndsWith(".log", StringComparison.Ordinal)) return null;
        var stem = name[..^4];
        var parts = stem.Split('_');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0) return null;
        int dash = parts[2].LastIndexOf('-');
        if (dash <= 0) return null;
        var id = parts[2][(dash + 1)..];
        if (id.Length < 12 || !id.All(char.IsAsciiHexDigitLower)) return null;
        return (parts[0], parts[1], parts[2][..dash], id);
    }
}
