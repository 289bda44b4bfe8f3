using System.Text.RegularExpressions;
using ConnExporter.Metrics;

namespace ConnExporter.Cli;

/// <summary>The daemon's flags, named as node_exporter names its own.</summary>
public static class ExporterFlags
{
    public const string ListenAddress = "web.listen-address";
    public const string TelemetryPath = "web.telemetry-path";
    public const string MaxRequests = "web.max-requests";
    public const string SystemdSocket = "web.systemd-socket";
    public const string WebConfigFile = "web.config.file";
    public const string DisableExporterMetrics = "web.disable-exporter-metrics";
    public const string DisableUi = "web.disable-ui";
    public const string DisableDefaults = "collector.disable-defaults";
    public const string ProcessesMaxSeries = "collector.processes.max-series";
    public const string PeersMaxSeries = "collector.peers.max-series";
    public const string PeersNetworks = "collector.peers.networks";
    public const string TcpInfoMaxSeries = "collector.tcpinfo.max-series";
    public const string ConnectionsMaxSeries = "collector.connections.max-series";
    public const string ConnectionsIncludeTimeWait = "collector.connections.include-time-wait";
    public const string EbpfPerPid = "collector.ebpf.per-pid";
    public const string EbpfMaxSeries = "collector.ebpf.max-series";
    public const string EbpfTraffic = "collector.ebpf.traffic";
    public const string EbpfTrafficMaxSeries = "collector.ebpf.traffic.max-series";
    public const string NetnsMaxSeries = "collector.netns.max-series";
    public const string NetnsExclude = "collector.netns.exclude";

    /// <summary>The collectors, for flag registration; their defaults live on the views.</summary>
    public static readonly (string Name, bool Default, string Description)[] Collectors =
    [
        ("sockets", true, "Sockets per protocol, family and state (conn_sockets)."),
        ("interfaces", true, "Sockets per interface, protocol and state (conn_interface_sockets)."),
        ("listeners", true, "Listening sockets with process and unit, TCP accept queues (conn_listeners_info, conn_tcp_listen_*)."),
        ("processes", true, "Sockets per process name and unit, and unowned sockets (conn_process_sockets, conn_unowned_sockets)."),
        ("peers", true, "Established connections per direction, process, peer and service port (conn_peers)."),
        ("tcpinfo", true, "TCP RTT histogram, retransmits and bytes in flight per process (conn_tcp_*; netlink source)."),
        ("ebpf", true, "TCP connect outcomes and latency per process and unit, accepts per port, from a kernel tracepoint (conn_tcp_connects_total, conn_tcp_connect_duration_seconds, conn_tcp_accepts_total; needs CAP_BPF and CAP_PERFMON, kernel 5.8+ with BTF)."),
        ("netns", true, "Read every network namespace (containers, pods, ip netns): the other collectors gain container, pod and namespace labels; conn_container_sockets (needs CAP_SYS_PTRACE to find other users' namespaces)."),
        ("conntrack", false, "Read the conntrack table (netlink, no conntrack binary) for the real destination of destination-NATed connections (Kubernetes Service VIPs, Docker published ports): actual_peer_address and actual_port on conn_peers and the traffic families, actual_remote_* in /api/v1/connections; host namespace only; needs CAP_NET_ADMIN."),
        ("connections", false, "One series per socket as the original exporter had it (network_connections_info)."),
    ];

    public static FlagSet Create()
    {
        var flags = new FlagSet("conn-exporter");
        flags.Add(new Flag(ListenAddress, "Addresses on which to expose metrics and web interface (repeatable). Without it, :$PORT when PORT is set.", ":9811", repeatable: true, placeholder: "[HOST]:PORT"));
        flags.Add(new Flag(SystemdSocket, "Require the listening sockets systemd passes (socket activation, LISTEN_FDS) and fail without them. Passed sockets are used even without this flag; --web.listen-address is then ignored.", "false", isBool: true));
        flags.Add(new Flag(TelemetryPath, "Path under which to expose metrics.", "/metrics", placeholder: "PATH"));
        flags.Add(new Flag(MaxRequests, "Maximum number of parallel scrape requests; 503 beyond. 0 disables the limit.", "40", placeholder: "N"));
        flags.Add(new Flag(WebConfigFile, "Path to a configuration file that can enable TLS or authentication (exporter-toolkit's web config format; see SECURITY.md).", placeholder: "FILE"));
        flags.Add(new Flag(DisableUi, "Serve neither the /connections page nor /api/v1/connections (the socket table as JSON).", "false", isBool: true));
        flags.Add(new Flag(DisableExporterMetrics, "Exclude metrics about the exporter itself (process_*, conn_exporter_build_info, conn_exporter_scrapes_total).", "false", isBool: true));
        foreach (var (name, enabled, description) in Collectors)
            flags.Add(new Flag($"collector.{name}", $"Enable the {name} collector: {description}", enabled ? "true" : "false", isBool: true));
        flags.Add(new Flag(DisableDefaults, "Set all collectors to disabled by default; enable them one by one with --collector.<name>.", "false", isBool: true));
        flags.Add(new Flag(ProcessesMaxSeries, "Most conn_process_sockets series; the rest fold into process=\"other\".", "500", placeholder: "N"));
        flags.Add(new Flag(PeersMaxSeries, "Most conn_peers series; the rest fold into one \"other\" series.", "1000", placeholder: "N"));
        flags.Add(new Flag(PeersNetworks, "Report peers inside a CIDR by name: name=cidr[,name=cidr…] (repeatable), e.g. office=10.0.0.0/8.", repeatable: true, placeholder: "NAME=CIDR"));
        flags.Add(new Flag(TcpInfoMaxSeries, "Most process/unit series of the tcpinfo collector.", "200", placeholder: "N"));
        flags.Add(new Flag(ConnectionsMaxSeries, "Most network_connections_info series.", "10000", placeholder: "N"));
        flags.Add(new Flag(ConnectionsIncludeTimeWait, "Include TIME_WAIT sockets in network_connections_info.", "false", isBool: true));
        flags.Add(new Flag(EbpfPerPid, "Also export the original monitor's tcp_connects_by_pid{pid,comm} (one series per process: opt-in cardinality).", "false", isBool: true));
        flags.Add(new Flag(NetnsMaxSeries, "Most conn_container_sockets series; the rest fold into container=\"other\".", "1000", placeholder: "N"));
        flags.Add(new Flag(NetnsExclude, "Regular expression of network namespaces not to read: matched against the ip netns name or inode, the container name or id, and namespace/pod.", placeholder: "REGEX"));
        flags.Add(new Flag(EbpfMaxSeries, "Most series per eBPF family; the rest fold into process=\"other\" or port=\"other\".", "500", placeholder: "N"));
        flags.Add(new Flag(EbpfTraffic, "Count TCP payload bytes, retransmits and resets per process, unit, container and peer (conn_tcp_sent_bytes_total, conn_tcp_received_bytes_total, conn_tcp_retransmits_total, conn_tcp_resets_total; five more tracepoints, Linux 6.11+; off by default: it costs about 3 µs per short connection and 5 % CPU on a bulk transfer, bench/RESULTS.md).", "false", isBool: true));
        flags.Add(new Flag(EbpfTrafficMaxSeries, "Most label sets of the eBPF traffic families; once a label set has its series it keeps it, later ones fold into one \"other\" series.", "1000", placeholder: "N"));
        CommonFlags.Register(flags);
        return flags;
    }

    /// <summary>The namespaces the daemon leaves unread (<c>--collector.netns.exclude</c>); null for none.</summary>
    public static Regex? NetnsExcluded(FlagSet flags)
    {
        if (flags.GetString(NetnsExclude) is not { Length: > 0 } pattern) return null;
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException e)
        {
            throw new CommandLineException($"invalid value '{pattern}' for flag '--{NetnsExclude}': {e.Message}");
        }
    }

    /// <summary>--collector.conntrack: an enrichment of the inventory, not a view of its own.</summary>
    public static bool ConntrackEnabled(FlagSet flags) => IsEnabled(flags, "conntrack", byDefault: false);

    public static bool IsEnabled(FlagSet flags, string collector, bool byDefault)
    {
        var name = $"collector.{collector}";
        if (flags.IsSet(name)) return flags.GetBool(name);
        return !flags.GetBool(DisableDefaults) && byDefault;
    }

    /// <summary>Builds the enabled views in a stable order.</summary>
    public static List<ISnapshotView> Views(FlagSet flags, DroppedSeries dropped)
    {
        var all = new List<ISnapshotView>
        {
            new SocketsView(),
            new InterfacesView(),
            new ListenersView(),
            new ProcessesView(flags.GetInt(ProcessesMaxSeries, 1), dropped),
            new PeersView(flags.GetInt(PeersMaxSeries, 1), NamedNetwork.ParseList(flags.GetAll(PeersNetworks), PeersNetworks), dropped,
                actualDestinations: ConntrackEnabled(flags)),
            new TcpHealthView(flags.GetInt(TcpInfoMaxSeries, 1), dropped),
            new ConnectionsView(flags.GetInt(ConnectionsMaxSeries, 1), flags.GetBool(ConnectionsIncludeTimeWait), dropped),
            new NetnsView(flags.GetInt(NetnsMaxSeries, 1), dropped),
        };
        return all.Where(v => IsEnabled(flags, v.Name, v.EnabledByDefault)).ToList();
    }
}
