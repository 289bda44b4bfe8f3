using System.Globalization;
using ConnExporter.Inventory.Containers;
using ConnExporter.Kernel.Namespaces;
using ConnExporter.Kernel.ProcFs;

namespace ConnExporter.Inventory;

/// <summary>
/// Gives each discovered namespace its <see cref="NetworkNamespace"/>: the container its member
/// processes' cgroups name, looked up in the <see cref="ContainerDirectory"/>. Kept per namespace
/// while its first member stays the same, so a steady host reads no cgroup file per collection.
/// </summary>
internal sealed class NamespaceIdentities
{
    private readonly string _procfsRoot;
    private readonly ContainerDirectory _containers;
    private readonly Dictionary<ulong, (int FirstMember, NetworkNamespace Namespace)> _known = [];
    private readonly byte[] _file = new byte[16 * 1024];
    private readonly byte[] _path = new byte[4096];
    private uint _generation;
    private readonly Dictionary<ulong, uint> _seen = [];

    public NamespaceIdentities(string procfsRoot, ContainerDirectory containers)
    {
        _procfsRoot = procfsRoot;
        _containers = containers;
    }

    public NetworkNamespace HostNamespace(ulong inode) =>
        inode == 0 ? NetworkNamespace.Host : new NetworkNamespace(inode, isHost: true);

    public void BeginCollection() => _generation++;

    public NetworkNamespace Of(DiscoveredNamespace ns)
    {
        _seen[ns.Inode] = _generation;
        int first = ns.Members.Count > 0 ? ns.Members[0] : 0;
        if (_known.TryGetValue(ns.Inode, out var known) && known.FirstMember == first && !NeedsRetry(known.Namespace))
            return known.Namespace;
        var identity = new NetworkNamespace(ns.Inode, isHost: false, ContainerOf(ns), ns.PinnedName);
        _known[ns.Inode] = (first, identity);
        return identity;
    }

    /// <summary>Forgets namespaces not seen in this collection.</summary>
    public void EndCollection()
    {
        foreach (var (inode, generation) in _seen)
        {
            if (generation == _generation) continue;
            _seen.Remove(inode);
            _known.Remove(inode);
        }
    }

    /// <summary>A container without a name yet may get one once its runtime wrote its files.</summary>
    private static bool NeedsRetry(NetworkNamespace ns) => ns.Container is { Name: null, Pod: null };

    /// <summary>
    /// The members' container: a pod's namespace is held by its sandbox (pause) process, which no
    /// log names, and shared by its app containers, which have names: prefer a named one.
    /// </summary>
    private ContainerIdentity? ContainerOf(DiscoveredNamespace ns)
    {
        ContainerIdentity? first = null;
        foreach (int pid in ns.Members)
        {
            var path = Path.Combine(_procfsRoot, pid.ToString(CultureInfo.InvariantCulture), "cgroup");
            if (!ProcFile.TryRead(Interop.AtFdCwd, ProcFile.NulTerminated(path, _path), _file, out int length, out _)) continue;
            var cgroup = ProcPidCgroup.Parse(_file.AsSpan(0, length));
            if (cgroup.Container is null) continue;
            var identity = _containers.Lookup(cgroup.Container, cgroup.PodUid);
            if (identity.Name is not null) return identity;
            first ??= identity;
        }
        return first;
    }
}
