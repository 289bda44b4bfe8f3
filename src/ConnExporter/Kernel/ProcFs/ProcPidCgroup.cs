using System.Text;

namespace ConnExporter.Kernel.ProcFs;

/// <summary>
/// Parses <c>/proc/&lt;pid&gt;/cgroup</c> (kernel/cgroup/cgroup.c, proc_cgroup_show): one
/// <c>hierarchy-id:controllers:path</c> line per hierarchy. Under cgroup v2 there is a single
/// <c>0::/path</c> line; under v1 (or hybrid) one line per controller, systemd's own tracking
/// hierarchy being <c>N:name=systemd:/path</c>. Read once per process lifetime, so this works
/// on strings for clarity.
/// </summary>
internal static class ProcPidCgroup
{
    private const string DeletedSuffix = " (deleted)";

    // Unit types that hold processes directly. A slice only groups other units, so it names a
    // process's place only when nothing more specific is in the path.
    private static readonly string[] ProcessUnitSuffixes = [".service", ".scope", ".socket", ".mount", ".swap"];
    private const string SliceSuffix = ".slice";

    // "<runtime>-<id>.scope" under the systemd cgroup driver; under cgroupfs drivers podman and
    // CRI-O name the directory the same way without ".scope". conmon's scopes
    // ("crio-conmon-<id>", "libpod-conmon-<id>") fail the hex check and so are not containers.
    private static readonly string[] RuntimePrefixes = ["docker-", "cri-containerd-", "crio-", "libpod-"];

    // Parents whose child directory is a bare container id under cgroupfs drivers.
    private static readonly string[] ContainerParents = ["docker", "containerd", "libpod_parent"];

    /// <summary>Shortest id accepted as a container id (Docker's short form is 12).</summary>
    private const int MinimumIdLength = 12;

    public static CgroupIdentity Parse(ReadOnlySpan<byte> content)
    {
        string? unified = null;
        string? systemd = null;
        List<string>? controllers = null;

        foreach (var rawLine in Encoding.UTF8.GetString(content).Split('\n'))
        {
            // The path is everything after the second ':' (it may itself contain ':').
            int first = rawLine.IndexOf(':');
            int second = first < 0 ? -1 : rawLine.IndexOf(':', first + 1);
            if (second < 0) continue;
            string path = rawLine[(second + 1)..];
            if (path.EndsWith(DeletedSuffix, StringComparison.Ordinal)) path = path[..^DeletedSuffix.Length];
            if (path.Length == 0 || path[0] != '/') continue;

            var hierarchy = rawLine.AsSpan(0, first);
            var names = rawLine.AsSpan(first + 1, second - first - 1);
            if (hierarchy.SequenceEqual("0") && names.IsEmpty) unified = path;
            else if (names.SequenceEqual("name=systemd")) systemd = path;
            else (controllers ??= []).Add(path);
        }

        // Prefer v2. In hybrid mode a process can sit in the v2 root while systemd's v1
        // hierarchy places it; then the v1 path is the informative one.
        string? primary = unified is not null && !(unified == "/" && systemd is not null && systemd != "/")
            ? unified
            : systemd ?? unified;

        string? container = ContainerOf(primary);
        if (container is null)
        {
            // Without a container in the primary path, runtimes that only manage v1
            // controllers (cgroupfs driver on a hybrid host) still show in the other lines.
            if (!ReferenceEquals(primary, unified)) container ??= ContainerOf(unified);
            if (!ReferenceEquals(primary, systemd)) container ??= ContainerOf(systemd);
            foreach (var path in controllers ?? [])
                container ??= ContainerOf(path);
        }

        string? podUid = PodUidOf(primary);
        if (podUid is null && container is not null)
        {
            if (!ReferenceEquals(primary, unified)) podUid ??= PodUidOf(unified);
            if (!ReferenceEquals(primary, systemd)) podUid ??= PodUidOf(systemd);
            foreach (var path in controllers ?? [])
                podUid ??= PodUidOf(path);
        }
        return new CgroupIdentity(primary is null ? null : UnitOf(primary), container, podUid);
    }

    /// <summary>
    /// The pod uid in a kubelet cgroup path: the systemd driver's
    /// <c>kubepods[-&lt;qos&gt;]-pod&lt;uid with _&gt;.slice</c> or the cgroupfs driver's
    /// <c>/kubepods[/&lt;qos&gt;]/pod&lt;uid&gt;</c> (kubelet's pkg/kubelet/cm/cgroup_manager_linux.go).
    /// </summary>
    internal static string? PodUidOf(string? path)
    {
        if (path is null || !path.Contains("kubepods", StringComparison.Ordinal)) return null;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            var part = parts[i];
            if (part.StartsWith("kubepods", StringComparison.Ordinal) && part.EndsWith(SliceSuffix, StringComparison.Ordinal))
            {
                int pod = part.LastIndexOf("-pod", StringComparison.Ordinal);
                if (pod < 0) continue;
                var uid = part[(pod + 4)..^SliceSuffix.Length];
                if (IsPodUid(uid)) return uid.Replace('_', '-');
            }
            else if (part.StartsWith("pod", StringComparison.Ordinal) && i > 0
                && Array.IndexOf(parts, "kubepods", 0, i) >= 0 && IsPodUid(part[3..]))
            {
                return part[3..];
            }
        }
        return null;
    }

    private static bool IsPodUid(string uid)
    {
        if (uid.Length is < 32 or > 36) return false;
        foreach (char c in uid)
            if (!char.IsAsciiHexDigitLower(c) && c is not ('-' or '_')) return false;
        return true;
    }

    /// <summary>
    /// The innermost component that is a process-holding unit, else the innermost slice. The
    /// root "/" is not a unit: on a systemd host only kernel threads live there, and inside a
    /// cgroup namespace "/" is merely the namespace's root, so naming it would mislabel.
    /// </summary>
    internal static string? UnitOf(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            foreach (var suffix in ProcessUnitSuffixes)
                if (IsUnitName(parts[i], suffix)) return parts[i];
        }
        for (int i = parts.Length - 1; i >= 0; i--)
            if (IsUnitName(parts[i], SliceSuffix)) return parts[i];
        return null;
    }

    /// <summary>The innermost container id in the path (a container in a container is itself).</summary>
    internal static string? ContainerOf(string? path)
    {
        if (path is null) return null;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            var part = parts[i].AsSpan();
            var bare = part.EndsWith(".scope", StringComparison.Ordinal) ? part[..^".scope".Length] : part;
            foreach (var prefix in RuntimePrefixes)
            {
                if (bare.StartsWith(prefix, StringComparison.Ordinal) && IsContainerId(bare[prefix.Length..]))
                    return bare[prefix.Length..].ToString();
            }

            if (i > 0 && IsContainerId(part) && IsContainerParent(parts, i - 1))
                return part.ToString();
        }
        return null;
    }

    private static bool IsContainerParent(string[] parts, int index)
    {
        var parent = parts[index];
        if (Array.IndexOf(ContainerParents, parent) >= 0) return true;
        // Kubernetes with the cgroupfs driver: /kubepods[/<qos>]/pod<uid>/<id>.
        return parent.StartsWith("pod", StringComparison.Ordinal)
            && Array.IndexOf(parts, "kubepods", 0, index) >= 0;
    }

    private static bool IsUnitName(string part, string suffix) =>
        part.Length > suffix.Length && part.EndsWith(suffix, StringComparison.Ordinal);

    private static bool IsContainerId(ReadOnlySpan<char> id)
    {
        if (id.Length < MinimumIdLength) return false;
        foreach (char c in id)
            if (!char.IsAsciiHexDigitLower(c)) return false; // 0-9, a-f
        return true;
    }
}
