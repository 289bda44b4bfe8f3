namespace ConnExporter.Inventory.Containers;

/// <summary>
/// Names containers by id from the files the runtimes and the kubelet write on the node: Docker's
/// <c>config.v2.json</c>, containers/storage's index (podman, CRI-O), the kubelet's log
/// directories. Nothing on the scrape path asks a runtime's API. Each id is looked up once and
/// cached; an id no file names is asked again after <see cref="RetryUnnamedAfter"/> (a container
/// seen before its runtime wrote its files), and ids not seen for a while are forgotten.
/// </summary>
/// <remarks>Not thread-safe: used by one collection at a time.</remarks>
public sealed class ContainerDirectory
{
    internal static readonly TimeSpan RetryUnnamedAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);

    private readonly string _dockerContainers;
    private readonly ContainersStorageIndex _storage;
    private readonly KubeletLogDirectory _kubelet;
    private readonly Func<DateTime> _now;
    private readonly Dictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private DateTime _lastSweep;

    /// <param name="rootfs">The node's root as this process sees it (<c>--path.rootfs</c>).</param>
    public ContainerDirectory(string rootfs = "/", Func<DateTime>? now = null)
    {
        _dockerContainers = Path.Combine(rootfs, "var/lib/docker/containers");
        _storage = new ContainersStorageIndex(Path.Combine(rootfs, "var/lib/containers/storage/overlay-containers/containers.json"));
        _kubelet = new KubeletLogDirectory(Path.Combine(rootfs, "var/log"));
        _now = now ?? (() => DateTime.UtcNow);
    }

    /// <summary>The identity of container <paramref name="id"/>; <paramref name="podUid"/> (from the
    /// same cgroup path) finds the pod of a container the kubelet logs nothing for (the sandbox).</summary>
    public ContainerIdentity Lookup(string id, string? podUid = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var now = _now();
        if (_cache.TryGetValue(id, out var cached)
            && (cached.Identity.Name is not null || now - cached.ReadAt < RetryUnnamedAfter))
        {
            _cache[id] = cached with { UsedAt = now };
            return cached.Identity;
        }
        var identity = Read(id, podUid);
        _cache[id] = new Entry(identity, now, now);
        if (now - _lastSweep > ForgetAfter) Sweep(now);
        return identity;
    }

    private ContainerIdentity Read(string id, string? podUid)
    {
        if (_kubelet.ContainerOf(id) is { } k)
            return new ContainerIdentity(id, k.Container, k.Pod, k.Namespace);
        if (podUid is not null && _kubelet.PodOf(podUid) is { } pod)
            return new ContainerIdentity(id, null, pod.Pod, pod.Namespace);
        var name = DockerContainerConfig.ReadName(_dockerContainers, id) ?? _storage.NameOf(id);
        return new ContainerIdentity(id, name);
    }

    private void Sweep(DateTime now)
    {
        _lastSweep = now;
        foreach (var (id, entry) in _cache)
            if (now - entry.UsedAt > ForgetAfter) _cache.Remove(id);
    }

    private readonly record struct Entry(ContainerIdentity Identity, DateTime ReadAt, DateTime UsedAt);
}
