using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using ConnExporter.Inventory.Containers;
using ConnExporter.Kernel.Namespaces;
using ConnExporter.Kernel.Netlink;
using ConnExporter.Kernel.ProcFs;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Inventory;

/// <summary>
/// Takes snapshots: reads a source, deduplicates, and enriches each socket with its
/// interface, direction and owners. Not thread-safe: one collection at a time (the exporter
/// shares one in-flight collection among concurrent scrapes).
/// </summary>
/// <remarks>Each snapshot owns the record list its source filled (sized from
/// /proc/net/sockstat, so it is allocated once, not grown), the parallel tcp_info list when
/// <see cref="InventoryOptions.TcpInfo"/> asked for one, and a 40-byte enrichment per socket;
/// nothing per socket is copied or kept here between collections but the dedupe and inode sets.</remarks>
public sealed class InventoryCollector : IDisposable
{
    private readonly InventoryOptions _options;
    private readonly ILogger _logger;
    private readonly ProcessResolver? _owners;
    private readonly DirectionClassifier _directions = new();
    // One set, two uses in turn: the cookies of the dump being deduplicated, then the inodes the
    // owners are resolved for. A second set of the same size would be megabytes more at the
    // peak of a collection (2 MB at 100k sockets), and the two are never needed at once.
    private readonly HashSet<ulong> _socketKeys = [];
    private HashSet<SocketIdentity>? _identities;
    private readonly string _procNet;
    private ISocketSource _source;
    private InterfaceTable? _interfaces;
    private volatile bool _interfacesStale = true;
    private readonly bool _watchingInterfaces;
    private readonly bool _pollInterfaces;
    private bool _warnedNoNetlinkInterfaces;

    // Other namespaces: null when only the host's is read.
    private readonly NamespaceDiscovery? _discovery;
    private readonly NamespaceSources? _namespaceSources;
    private readonly NamespaceIdentities? _namespaceIdentities;
    private readonly ContainerDirectory _containers;
    private readonly List<SocketRecord> _scratch = [];
    private readonly List<TcpHealth?> _scratchTcp = [];
    private readonly Dictionary<ProcessInfo, ContainerIdentity?> _ownerContainers = new(ReferenceEqualityComparer.Instance);
    private readonly NamespaceReadFailures _failures = new();
    private ulong _hostInode;
    private bool _warnedDiscoveryDenied;
    private bool _warnedUnreadable;
    private readonly ConntrackDestinations? _conntrack;

    public InventoryCollector(InventoryOptions options, ILogger logger)
        : this(options, logger, source: null)
    {
    }

    /// <param name="source">Replaces the source <paramref name="options"/> names (tests that
    /// script what a dump returns).</param>
    internal InventoryCollector(InventoryOptions options, ILogger logger, ISocketSource? source)
    {
        _options = options;
        _logger = logger;
        _procNet = Path.Combine(options.ProcfsRoot, "net");
        _source = source ?? (options.Source == SocketSources.Procfs ? CreateProcfsSource()
            : new SockDiagSource(options.TcpInfo, options.ListeningOnly, concurrentFamilies: DumpsConcurrently(options)));
        _owners = options.ResolveOwners ? new ProcessResolver(options.ProcfsRoot, logger, options.KernelOwnerIterator) : null;
        _containers = new ContainerDirectory(options.Rootfs);
        if (options.Conntrack) _conntrack = new ConntrackDestinations(logger);
        if (options.NamespaceSelection.ReadsOtherNamespaces)
        {
            _discovery = new NamespaceDiscovery(options.ProcfsRoot, options.Rootfs);
            _namespaceSources = new NamespaceSources(options.ProcfsRoot, options.NamespaceRead, options.TcpInfo, logger);
            _namespaceIdentities = new NamespaceIdentities(options.ProcfsRoot, _containers);
            _hostInode = _discovery.HostInode();
        }
        if (options.WatchInterfaces)
        {
            _watchingInterfaces = WatchInterfaces();
            _pollInterfaces = !_watchingInterfaces;
        }
    }

    /// <summary>
    /// Whether the host's dump runs its families on two threads: for a single collection (the
    /// command, where the wall time is what a user waits for) with a core free for it. A
    /// daemon's scrapes keep the one legacy dump, the least CPU per collection; the first walk
    /// of /proc/&lt;pid&gt;/fd already takes a second core beside the dump when owners are resolved.
    /// </summary>
    private static bool DumpsConcurrently(InventoryOptions options) =>
        options.SingleCollection && !options.ListeningOnly && Environment.ProcessorCount > (options.ResolveOwners ? 2 : 1);

    /// <summary>The source in use; changes from netlink to procfs if netlink is refused.</summary>
    public string SourceName => _source.Name;

    public Snapshot Take()
    {
        // A first walk of /proc/<pid>/fd reads every link whatever the sockets turn out to be, so
        // it runs beside the kernel's dump instead of after it: on another core the two overlap
        // (at 10k sockets each costs about as much as the other). Later walks are incremental
        // and need the socket set, so they stay after the dump.
        var walkAhead = _owners is { IsCold: true } cold ? Task.Run(cold.WalkAhead) : null;
        try
        {
            return Collect(walkAhead);
        }
        catch when (walkAhead is not null)
        {
            // Not to be matched against the next collection's sockets, however late that comes.
            ((IAsyncResult)walkAhead).AsyncWaitHandle.WaitOne();
            _owners!.ForgetWalkAhead();
            throw;
        }
    }

    private Snapshot Collect(Task? walkAhead)
    {
        int hint = SizeHint();
        var records = new List<SocketRecord>(hint);
        // tcp_info only when a view reads it: otherwise no list at all, not one of nulls.
        var tcp = _options.TcpInfo ? new List<TcpHealth?>(hint) : null;
        var read = ReadWithFallback(records, tcp);
        if (tcp is not null && tcp.Count != records.Count)
            throw new InvalidOperationException($"socket source {_source.Name} returned {tcp.Count} tcp_info entries for {records.Count} sockets");
        int duplicates = Deduplicate(records, tcp);

        // Without change notifications (netlink refused) the table is re-read every time: a
        // few system calls and one small procfs file.
        if (_interfacesStale || _interfaces is null || _pollInterfaces)
        {
            _interfacesStale = false;
            _interfaces = InterfaceTable.Load();
            if (_interfaces.ReadWithoutNetlink && !_warnedNoNetlinkInterfaces)
            {
                _warnedNoNetlinkInterfaces = true;
                _logger.LogWarning("netlink refused: interface addresses come from ioctls and /proc/net (if_inet6, dev), re-read at every collection; allow AF_NETLINK to watch them instead");
            }
        }

        var host = _namespaceIdentities?.HostNamespace(_hostInode) ?? NetworkNamespace.Host;
        var ranges = new List<NamespaceRange>(1) { new(host, 0, records.Count, _interfaces) };
        int scanned = 1;
        if (_discovery is not null)
        {
            var others = ReadOtherNamespaces(records, tcp, ranges, ref read, ref duplicates);
            scanned += others;
        }

        // The host's conntrack table is matched against every namespace's sockets: a pod's or a
        // bridged container's connection to a Service VIP or published port is translated by the
        // host's rules (kube-proxy, Docker), so its entry is in the host's table, keyed by the
        // pod's own address. Rules inside a container's namespace fill that namespace's table,
        // which this does not read (see docs/conntrack.md).
        Dictionary<int, InetEndpoint>? actual = null;
        int conntrackMalformed = 0;
        if (_conntrack is not null)
        {
            actual = [];
            _conntrack.Resolve(CollectionsMarshal.AsSpan(records), 0, actual);
            conntrackMalformed = _conntrack.LastRead.Malformed;
        }

        // The snapshot keeps these lists until the next one replaces them: a hint far off (sockets
        // closed since sockstat was read, or a list that had to grow) must not stay allocated.
        TrimIfOversized(records);
        if (tcp is not null) TrimIfOversized(tcp);
        var sockets = CollectionsMarshal.AsSpan(records);

        // One walk of /proc/<pid>/fd for every namespace: socket inodes are unique host-wide.
        SocketOwners? owners = null;
        if (_owners is not null)
        {
            var inodes = _socketKeys;
            inodes.Clear();
            inodes.EnsureCapacity(sockets.Length);
            foreach (ref readonly var r in sockets)
                if (r.Inode != 0) inodes.Add(r.Inode);
            walkAhead?.GetAwaiter().GetResult();
            owners = _owners.Resolve(inodes);
        }
        if (_options.SingleCollection)
        {
            // Nothing will reuse them: garbage now, for the GC to reuse before the enrichment
            // array and the output. With owners from the kernel's iterator (which builds every
            // fd table in a few milliseconds, beside the dump) they are collected right here:
            // at 100k sockets the peak RSS of the table output fell from 37.2 to 33.4 MB (the
            // /proc walk's slower tables met a collection on their own: 0.5 MB saved there).
            _socketKeys.Clear();
            _socketKeys.TrimExcess();
            _owners?.ForgetFdTables();
            if (_owners is { UsedKernelIterator: true })
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
        }
        else
        {
            // Trimmed once, against the whole collection: each namespace's dedupe needs less, and
            // trimming after a small one would make the next use grow it again.
            TrimIfOversized(_socketKeys, sockets.Length);
        }

        var enrichment = new SocketEnrichment[sockets.Length];
        int unknownInterfaces = 0;
        _ownerContainers.Clear();
        foreach (var range in ranges)
        {
            // Direction is decided per namespace: a port listening in one says nothing of another.
            var span = sockets.Slice(range.Start, range.Count);
            _directions.Reset(span);
            var ns = range.Namespace.IsHost && range.Namespace.Inode == 0 ? null : range.Namespace;
            for (int i = range.Start; i < range.Start + range.Count; i++)
            {
                ref readonly var r = ref sockets[i];
                var iface = range.Interfaces.Resolve(r);
                if (ReferenceEquals(iface, InterfaceTable.Unknown)) unknownInterfaces++;
                var socketOwners = owners is null || r.Inode == 0 ? [] : owners.Get(r.Inode);
                var container = socketOwners.Count > 0 ? ContainerOf(socketOwners[0]) ?? range.Namespace.Container : range.Namespace.Container;
                enrichment[i] = new SocketEnrichment(iface, socketOwners, _directions.Classify(r), ns, container);
            }
        }

        if (read.Malformed > 0)
            _logger.LogWarning("skipped {Count} malformed socket records from {Source}: {Problem}",
                read.Malformed, _source.Name, read.FirstProblem);

        var stats = new SnapshotStats(_source.Name, read.Malformed + conntrackMalformed, duplicates, unknownInterfaces,
            owners is not null, owners?.ProcessesDenied ?? 0)
        {
            NamespacesScanned = scanned,
            OwnersIncomplete = owners?.DescriptorsExhausted ?? false,
            NamespaceReadFailures = _failures.Totals,
            OtherNamespacesSource = _namespaceSources is null ? null : _namespaceSources.UsesNetlink ? SocketSources.Netlink : SocketSources.Procfs,
        };
        var namespaces = ranges.Select(r => r.Namespace).ToArray();
        return new Snapshot(new SnapshotConnections(records, tcp, enrichment, actual), stats, DateTimeOffset.UtcNow, namespaces);
    }

    /// <summary>
    /// Discovers the other namespaces and appends each one's deduplicated sockets after the host's,
    /// recording where each begins. A namespace that vanished during its read is a clean miss,
    /// counted; one that cannot be read at all (no process and no setns) is counted too.
    /// </summary>
    /// <returns>How many namespaces besides the host's were read.</returns>
    private int ReadOtherNamespaces(List<SocketRecord> records, List<TcpHealth?>? tcp, List<NamespaceRange> ranges,
        ref SourceReadResult read, ref int duplicates)
    {
        var discovered = _discovery!.Discover();
        if (_discovery.Denied > 0 && !_warnedDiscoveryDenied)
        {
            _warnedDiscoveryDenied = true;
            _logger.LogWarning("Not allowed to read the ns/net link of {Count} processes: their network namespaces are not seen. Grant CAP_SYS_PTRACE to see every container's sockets", _discovery.Denied);
        }
        if (_hostInode == 0) _hostInode = _discovery.HostInode();
        var selection = _options.NamespaceSelection;
        _namespaceIdentities!.BeginCollection();
        int scanned = 0;
        foreach (var ns in discovered.Values.OrderBy(n => n.Inode))
        {
            if (ns.Inode == _hostInode) continue;
            if (selection.Inode is { } wanted && ns.Inode != wanted) continue;
            // Who the namespace belongs to comes from its members' cgroups, not its sockets: an
            // excluded one is never read.
            var identity = _namespaceIdentities.Of(ns);
            if (selection.Excludes(identity)) continue;
            _scratch.Clear();
            _scratchTcp.Clear();
            var scratchTcp = tcp is null ? null : _scratchTcp;
            InterfaceTable interfaces;
            SourceReadResult result;
            try
            {
                (result, interfaces) = _namespaceSources!.Read(ns, _options.Kinds, _scratch, scratchTcp);
            }
            catch (NamespaceUnreachableException e)
            {
                _failures.Add(e.IsRefusal ? NamespaceReadFailures.Unreadable : NamespaceReadFailures.Vanished);
                if (e.IsRefusal && !_warnedUnreadable)
                {
                    _warnedUnreadable = true;
                    _logger.LogWarning("network namespace {Inode} not read: {Reason}", ns.Inode, e.Message);
                }
                else
                {
                    _logger.LogDebug("network namespace {Inode} not read: {Reason}", ns.Inode, e.Message);
                }
                continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or NetlinkException)
            {
                _failures.Add(NamespaceReadFailures.Error);
                _logger.LogWarning("network namespace {Inode} not read: {Reason}", ns.Inode, e.Message);
                continue;
            }
            if (scratchTcp is not null && scratchTcp.Count != _scratch.Count)
                throw new InvalidOperationException($"namespace {ns.Inode}: {scratchTcp.Count} tcp_info entries for {_scratch.Count} sockets");
            if (selection.Container is not null && !selection.Matches(identity, null) && !AnyOwnerMightMatch(identity))
                continue;
            duplicates += Deduplicate(_scratch, scratchTcp);
            read = read.Add(result);
            ranges.Add(new NamespaceRange(identity, records.Count, _scratch.Count, interfaces));
            records.AddRange(_scratch);
            tcp?.AddRange(_scratchTcp);
            scanned++;
        }
        _namespaceIdentities.EndCollection();
        // A namespace with a burst of sockets must not pin that memory until the next one.
        _scratch.Clear();
        _scratchTcp.Clear();
        if (_scratch.Capacity > 4096) _scratch.TrimExcess();
        if (_scratchTcp.Capacity > 4096) _scratchTcp.TrimExcess();
        return scanned;
    }

    /// <summary>A pod's sockets may belong to a named app container even when the namespace's own
    /// identity is the unnamed sandbox: keep pod namespaces for the per-socket filter.</summary>
    private static bool AnyOwnerMightMatch(NetworkNamespace ns) => ns.Container is { Pod: not null };

    private ContainerIdentity? ContainerOf(ProcessInfo owner)
    {
        if (owner.Container is null) return null;
        ref var cached = ref CollectionsMarshal.GetValueRefOrAddDefault(_ownerContainers, owner, out bool exists);
        if (!exists) cached = _containers.Lookup(owner.Container, owner.PodUid);
        return cached;
    }

    /// <summary>Where one namespace's sockets sit in the snapshot's record list, and its interfaces.</summary>
    private readonly record struct NamespaceRange(NetworkNamespace Namespace, int Start, int Count, InterfaceTable Interfaces);

    /// <summary>
    /// How many records the next read will likely return, from the kernel's own counters of
    /// this namespace (/proc/net/sockstat{,6}): one right-sized allocation of the snapshot's
    /// records instead of doubling through a list's growth (each step a new large object).
    /// Request sockets (SYN_RECV) are not counted there, hence the slack.
    /// </summary>
    private int SizeHint()
    {
        // sockstat counts every socket; listeners are few, and the list grows if they are not.
        if (_options.ListeningOnly && _source is SockDiagSource) return 256;
        var counts = ProcNetSockStat.Read(_procNet);
        long expected = 0;
        if ((_options.Kinds & SocketKinds.Tcp) != 0) expected += (long)counts.Tcp + counts.TcpTimeWait;
        if ((_options.Kinds & SocketKinds.Udp) != 0) expected += counts.Udp;
        return (int)Math.Min(expected + expected / 16 + 64, Array.MaxLength / 2);
    }

    private SourceReadResult ReadWithFallback(List<SocketRecord> records, List<TcpHealth?>? tcp)
    {
        try
        {
            return _source.Read(_options.Kinds, records, tcp);
        }
        catch (SocketSourceUnavailableException e) when (_source is SockDiagSource)
        {
            // Netlink refused (e.g. RestrictAddressFamilies without AF_NETLINK): procfs sees the
            // same sockets, minus tcp_info and bound devices. Say so once and stay there.
            _logger.LogWarning("netlink socket diagnostics unavailable ({Reason}); falling back to {Path}",
                e.Message, Path.Combine(_options.ProcfsRoot, "net"));
            _source = CreateProcfsSource();
            records.Clear();
            tcp?.Clear();
            return _source.Read(_options.Kinds, records, tcp);
        }
    }

    private ProcNetSource CreateProcfsSource() => new(Path.Combine(_options.ProcfsRoot, "net"));

    /// <summary>
    /// A dump is not atomic: a socket can appear twice when the table changes under it. Keep
    /// the first sighting. The cookie names a socket uniquely (for the kernel's lifetime, across
    /// protocols) where the source provides one; procfs rows have none and fall back to the
    /// protocol, 4-tuple and inode, which is what a repeated row shares. The tcp_info list, when
    /// there is one, is compacted in the same pass so that each entry stays with its socket.
    /// </summary>
    private int Deduplicate(List<SocketRecord> records, List<TcpHealth?>? tcp)
    {
        var sockets = CollectionsMarshal.AsSpan(records);
        var health = CollectionsMarshal.AsSpan(tcp);
        var cookies = _socketKeys;
        cookies.Clear();
        cookies.EnsureCapacity(sockets.Length);
        _identities?.Clear();
        int write = 0;
        for (int read = 0; read < sockets.Length; read++)
        {
            ref readonly var r = ref sockets[read];
            bool first = r.Cookie != 0
                ? cookies.Add(r.Cookie)
                : (_identities ??= []).Add(SocketIdentity.Of(r));
            if (!first) continue;
            if (write != read)
            {
                sockets[write] = r;
                if (!health.IsEmpty) health[write] = health[read];
            }
            write++;
        }
        int duplicates = sockets.Length - write;
        records.RemoveRange(write, duplicates);
        tcp?.RemoveRange(write, duplicates);
        if (_identities is not null) TrimIfOversized(_identities, write);
        return duplicates;
    }

    /// <summary>Gives back a list's capacity far beyond its count (at least 1024 entries, a quarter).</summary>
    private static void TrimIfOversized<T>(List<T> list)
    {
        if (list.Capacity - list.Count > Math.Max(1024, list.Count / 4)) list.TrimExcess();
    }

    /// <summary>
    /// A set sized for a burst of sockets keeps that memory after they are gone: give it back
    /// once a collection needs less than a quarter of it.
    /// </summary>
    private static void TrimIfOversized<T>(HashSet<T> set, int needed)
    {
        if (set.Capacity > 4 * Math.Max(needed, 1024)) set.TrimExcess();
    }

    /// <summary>Makes the next collection re-read the interface table (SIGHUP, or an address change).</summary>
    public void RefreshInterfaces() => _interfacesStale = true;

    private void OnAddressChanged(object? sender, EventArgs e) => _interfacesStale = true;

    /// <summary>Subscribes to address changes; false when that needs netlink and netlink is refused.</summary>
    private bool WatchInterfaces()
    {
        try
        {
            NetworkChange.NetworkAddressChanged += OnAddressChanged;
            return true;
        }
        catch (NetworkInformationException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (_watchingInterfaces) NetworkChange.NetworkAddressChanged -= OnAddressChanged;
        _namespaceSources?.Dispose();
    }

    /// <summary>A socket without a cookie (procfs): protocol, inode and 4-tuple.</summary>
    private readonly record struct SocketIdentity(SocketProtocol Protocol, ulong Inode, InetEndpoint Local, InetEndpoint Remote)
    {
        public static SocketIdentity Of(in SocketRecord r) => new(r.Protocol, r.Inode, r.Local, r.Remote);
    }
}
