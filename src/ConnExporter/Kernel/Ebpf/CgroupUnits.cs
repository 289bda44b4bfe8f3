using System.Diagnostics;
using System.Text;
using ConnExporter.Kernel.ProcFs;

namespace ConnExporter.Kernel.Ebpf;

/// <summary>
/// Resolves a cgroup v2 id (what <c>bpf_get_current_cgroup_id</c> returns) to the systemd unit
/// of that cgroup. The id is the kernfs node id, which on 64-bit kernels is the inode number of
/// the cgroup's directory under the cgroup2 mount (kernel/cgroup/cgroup.c, kernfs_ino), so the
/// mount is walked once and re-walked on a miss at most every <see cref="RewalkInterval"/>.
/// Ids are never reused within a boot, so a resolved id stays valid after its cgroup is gone.
/// </summary>
internal sealed class CgroupUnits
{
    private static readonly TimeSpan RewalkInterval = TimeSpan.FromSeconds(5);

    private readonly string? _root;
    private readonly Func<ulong, string?>? _recordedPath;
    private readonly Dictionary<ulong, CgroupLabels> _units = [];
    private readonly Lock _gate = new();
    private long _lastWalk;

    /// <param name="root">The cgroup2 mount point; null finds it in /proc/self/mountinfo
    /// (/sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones).</param>
    /// <param name="recordedPath">The tail of a cgroup's path as recorded while it existed
    /// ("parent/leaf", from the eBPF program's conn_cgroups map), or null: names the units of
    /// cgroups that came and went between two walks.</param>
    public CgroupUnits(string? root = null, Func<ulong, string?>? recordedPath = null)
    {
        _root = root ?? FindCgroup2Mount("/proc/self/mountinfo");
        _recordedPath = recordedPath;
    }

    public string? Root => _root;

    /// <summary>The unit of a cgroup id; "" for the root, unknown ids and paths without a unit.</summary>
    public string Resolve(ulong id) => Labels(id).Unit;

    /// <summary>
    /// The unit and the container id of a cgroup id, each "" when the path names none. The
    /// recorded path of a cgroup that is gone has only its last two components: enough for the
    /// runtimes' leaf names (docker-&lt;id&gt;.scope, cri-containerd-&lt;id&gt;.scope, libpod-&lt;id&gt;.scope).
    /// </summary>
    public CgroupLabels Labels(ulong id)
    {
        if (_root is null || id == 0) return CgroupLabels.None;
        lock (_gate)
        {
            if (_units.TryGetValue(id, out var labels)) return labels;
            if (_lastWalk == 0 || Stopwatch.GetElapsedTime(_lastWalk) >= RewalkInterval)
            {
                Walk(_root);
                _lastWalk = Stopwatch.GetTimestamp();
                if (_units.TryGetValue(id, out labels)) return labels;
            }
            // Not on the mount: gone already (a short-lived unit), or created since the last walk.
            if (_recordedPath?.Invoke(id) is not { } path) return CgroupLabels.None;
            labels = CgroupLabels.Of(path);
            _units[id] = labels;
            return labels;
        }
    }

    /// <summary>
    /// Walks the mount now: the ids of every cgroup that exists (and their units, kept for
    /// <see cref="Resolve"/>); null when there is no cgroup2 mount or the walk was cut short
    /// (a partial list would make live cgroups look gone).
    /// </summary>
    public HashSet<ulong>? LiveIds()
    {
        if (_root is null) return null;
        lock (_gate)
        {
            var live = new HashSet<ulong>();
            bool complete = Walk(_root, live);
            _lastWalk = Stopwatch.GetTimestamp();
            return complete ? live : null;
        }
    }

    /// <summary>Drops a cgroup that is gone and whose map entries were retired.</summary>
    public void Forget(ulong id)
    {
        lock (_gate) _units.Remove(id);
    }

    /// <summary>Adds every cgroup under the mount; false when an error cut the walk short.</summary>
    private bool Walk(string root, HashSet<ulong>? live = null)
    {
        Add(root, "/", live);
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = 0,
        };
        try
        {
            foreach (var directory in Directory.EnumerateDirectories(root, "*", options))
                Add(directory, directory[root.TrimEnd('/').Length..], live);
            return true;
        }
        catch (IOException)
        {
            // A cgroup removed during the walk: what was seen so far is still right.
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void Add(string directory, string cgroupPath, HashSet<ulong>? live)
    {
        ulong inode = Inode(directory);
        if (inode == 0) return;
        live?.Add(inode);
        if (_units.ContainsKey(inode)) return;
        _units[inode] = CgroupLabels.Of(cgroupPath);
    }

    /// <summary>The cgroup id of a cgroup directory: its inode number (0 when statx cannot tell).</summary>
    private static ulong Inode(string path)
    {
        int max = ProcFile.NulTerminatedLength(path);
        Span<byte> buffer = max <= 1024 ? stackalloc byte[max] : new byte[max];
        return ProcFile.TryGetInode(Interop.AtFdCwd, ProcFile.NulTerminated(path, buffer), out ulong inode) ? inode : 0;
    }

    /// <summary>The first cgroup2 mount point in a mountinfo file (proc(5)), or null.</summary>
    internal static string? FindCgroup2Mount(string mountinfo)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(mountinfo);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        foreach (var line in lines)
        {
            // id parent major:minor root mount-point options [optional...] - fstype source super-options
            int separator = line.IndexOf(" - ", StringComparison.Ordinal);
            if (separator < 0) continue;
            var after = line[(separator + 3)..].Split(' ');
            if (after.Length == 0 || after[0] != "cgroup2") continue;
            var fields = line[..separator].Split(' ');
            if (fields.Length < 5) continue;
            return Unescape(fields[4]);
        }
        return null;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                sb.Append((char)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }
        return sb.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
