using ConnExporter.Inventory;

namespace ConnExporter.Kernel.Ebpf;

/// <summary>
/// Everything the eBPF maps held at one read, with cgroup ids already resolved to units. Counts
/// are totals since the programs were attached; several cgroups may map to one unit (a restarted
/// service gets a new cgroup), so consumers sum entries with equal labels.
/// </summary>
public sealed record ConnEventCounts(
    IReadOnlyList<ConnectCount> Connects,
    IReadOnlyList<ConnectLatency> Latencies,
    IReadOnlyList<AcceptCount> Accepts,
    IReadOnlyList<PidConnects> Pids,
    IReadOnlyList<ProgramAttachment> Programs,
    ulong EventsLost,
    IReadOnlyList<MapFullCount> MapFull)
{
    /// <summary>Map entries of cgroups that are gone, folded into these totals and deleted.</summary>
    public IReadOnlyList<RetiredEntries> Retired { get; init; } = [];

    /// <summary>Bytes, retransmits and resets per owner and peer (empty when traffic is off).</summary>
    public IReadOnlyList<TrafficCount> Traffic { get; init; } = [];
}

/// <summary>
/// TCP traffic of connections owned by one process name in one cgroup (its unit and container)
/// with one aggregated peer: <paramref name="Peer"/> is the remote address, <paramref name="Port"/>
/// the remote port of outgoing and the local (service) port of incoming connections.
/// </summary>
/// <paramref name="Actual"/> is the real destination of outgoing connections whose destination
/// was NATed, from conntrack (<see cref="EbpfOptions.Conntrack"/>); null when not translated or not read.
public readonly record struct TrafficCount(string Process, string Unit, ContainerIdentity? Container, Direction Direction,
    InetAddress Peer, ushort Port, TrafficTotals Totals, InetEndpoint? Actual = null);

/// <summary>Payload bytes acknowledged by the peer (sent) and received, retransmitted segments, resets.</summary>
public readonly record struct TrafficTotals(ulong SentBytes, ulong ReceivedBytes, ulong Retransmits, ulong ResetsSent, ulong ResetsReceived)
{
    public static TrafficTotals operator +(TrafficTotals a, TrafficTotals b) => new(
        a.SentBytes + b.SentBytes, a.ReceivedBytes + b.ReceivedBytes, a.Retransmits + b.Retransmits,
        a.ResetsSent + b.ResetsSent, a.ResetsReceived + b.ResetsReceived);
}

/// <summary>Connect attempts of one process name in one unit that ended with <paramref name="Result"/>;
/// <paramref name="Container"/> is the container of the caller's cgroup (null on the host).</summary>
public readonly record struct ConnectCount(string Process, string Unit, IpFamily Family, ConnectResult Result, ulong Count,
    ContainerIdentity? Container = null);

/// <summary>Latency of successful connects: <paramref name="Slots"/>[i] counts those in bucket i
/// (not cumulative; the last slot is above the largest bound), <paramref name="SumSeconds"/> their total.</summary>
public sealed record ConnectLatency(string Process, string Unit, ulong[] Slots, double SumSeconds, ContainerIdentity? Container = null);

/// <summary>Passive opens completed on a local port whose socket belongs to a cgroup of
/// <paramref name="Unit"/> (and of <paramref name="Container"/>, null on the host).</summary>
public readonly record struct AcceptCount(ushort Port, string Unit, ulong Count, ContainerIdentity? Container = null);

/// <summary>Connect attempts of a process that is still running (the original monitor's metric).</summary>
public readonly record struct PidConnects(int Pid, string Comm, ulong Count);

/// <summary>Whether a program is attached (a tracepoint name such as <c>sock:inet_sock_set_state</c>).</summary>
public readonly record struct ProgramAttachment(string Program, bool Attached);

/// <summary>Updates a map could not take because it was full.</summary>
public readonly record struct MapFullCount(string Map, ulong Count);

/// <summary>Entries of <paramref name="Map"/> retired because their cgroup was gone.</summary>
public readonly record struct RetiredEntries(string Map, ulong Count);
