using System.Net.NetworkInformation;
using ConnExporter.Kernel.Netlink;
using ConnExporter.Kernel.ProcFs;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Inventory;

/// <summary>
/// Takes snapshots: reads a source, deduplicates, and enriches each socket with its
/// interface, direction and owners. Not thread-safe: one collection at a time (the exporter
/// shares one in-flight collection among concurrent scrapes).
/// </summary>
public sealed class InventoryCollector : IDisposable
{
    private readonly InventoryOptions _options;
    private readonly ILogger _logger;
    private readonly ProcessResolver? _owners;
    private readonly DirectionClassifier _directions = new();
    private readonly List<SocketRecord> _records = [];
    private readonly HashSet<SocketIdentity> _seen = [];
    private readonly HashSet<ulong> _inodes = [];
    private ISocketSource _source;
    private InterfaceTable? _interfaces;
    private volatile bool _interfacesStale = true;
    private readonly bool _watchingInterfaces;
    private readonly bool _pollInterfaces;
    private bool _warnedNoNetlinkInterfaces;

    public InventoryCollector(InventoryOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _source = options.Source == SocketSources.Procfs ? CreateProcfsSource() : new SockDiagSource(options.TcpInfo);
        _owners = options.ResolveOwners ? new ProcessResolver(options.ProcfsRoot, logger) : null;
        if (options.WatchInterfaces)
        {
            _watchingInterfaces = WatchInterfaces();
            _pollInterfaces = !_watchingInterfaces;
        }
    }

    /// <summary>The source in use; changes from netlink to procfs if netlink is refused.</summary>
    public string SourceName => _source.Name;

    public Snapshot Take()
    {
        _records.Clear();
        var read = ReadWithFallback();
        int duplicates = Deduplicate();

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

        SocketOwners? owners = null;
        if (_owners is not null)
        {
            _inodes.Clear();
            foreach (var r in _records)
                if (r.Inode != 0) _inodes.Add(r.Inode);
            owners = _owners.Resolve(_inodes);
        }

        _directions.Reset(_records);
        var connections = new Connection[_records.Count];
        int unknownInterfaces = 0;
        for (int i = 0; i < connections.Length; i++)
        {
            var r = _records[i];
            var iface = _interfaces.Resolve(r);
            if (ReferenceEquals(iface, InterfaceTable.Unknown)) unknownInterfaces++;
            connections[i] = new Connection(
                r, iface, _directions.Classify(r),
                owners is null || r.Inode == 0 ? [] : owners.Get(r.Inode));
        }

        if (read.Malformed > 0)
            _logger.LogWarning("skipped {Count} malformed socket records from {Source}: {Problem}",
                read.Malformed, _source.Name, read.FirstProblem);

        var stats = new SnapshotStats(_source.Name, read.Malformed, duplicates, unknownInterfaces,
            owners is not null, owners?.ProcessesDenied ?? 0);
        return new Snapshot(connections, stats, DateTimeOffset.UtcNow);
    }

    private SourceReadResult ReadWithFallback()
    {
        try
        {
            return _source.Read(_options.Kinds, _records);
        }
        catch (SocketSourceUnavailableException e) when (_source is SockDiagSource)
        {
            // Netlink refused (e.g. RestrictAddressFamilies without AF_NETLINK): procfs sees the
            // same sockets, minus tcp_info and bound devices. Say so once and stay there.
            _logger.LogWarning("netlink socket diagnostics unavailable ({Reason}); falling back to {Path}",
                e.Message, Path.Combine(_options.ProcfsRoot, "net"));
            _source = CreateProcfsSource();
            _records.Clear();
            return _source.Read(_options.Kinds, _records);
        }
    }

    private ProcNetSource CreateProcfsSource() => new(Path.Combine(_options.ProcfsRoot, "net"));

    /// <summary>
    /// A dump is not atomic: a socket can appear twice when the table changes under it. Keep
    /// the first sighting; the cookie identifies a socket where the source provides one.
    /// </summary>
    private int Deduplicate()
    {
        _seen.Clear();
        int write = 0;
        for (int read = 0; read < _records.Count; read++)
        {
            var r = _records[read];
            if (!_seen.Add(SocketIdentity.Of(r))) continue;
            _records[write++] = r;
        }
        int duplicates = _records.Count - write;
        _records.RemoveRange(write, duplicates);
        return duplicates;
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
    }

    private readonly record struct SocketIdentity(
        SocketProtocol Protocol, ulong Cookie, ulong Inode, InetEndpoint Local, InetEndpoint Remote)
    {
        // With a cookie the kernel has named the socket; without one (procfs) the 4-tuple and
        // inode do, which is what a repeated row shares.
        public static SocketIdentity Of(in SocketRecord r) => r.Cookie != 0
            ? new(r.Protocol, r.Cookie, 0, default, default)
            : new(r.Protocol, 0, r.Inode, r.Local, r.Remote);
    }
}
