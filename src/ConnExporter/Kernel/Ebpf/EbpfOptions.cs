namespace ConnExporter.Kernel.Ebpf;

/// <summary>How the eBPF collector starts.</summary>
/// <param name="PerPid">Also report the original monitor's <c>tcp_connects_by_pid{pid, comm}</c>.</param>
/// <param name="ProcfsRoot">Where /proc is, for the live-process check of the per-pid metric.</param>
/// <param name="Traffic">Count bytes, retransmits and resets per owner and peer (the traffic programs).</param>
/// <param name="Rootfs">The node's root (<c>--path.rootfs</c>): where the runtimes' and the
/// kubelet's files name the containers the cgroups hold.</param>
/// <param name="Conntrack">With <paramref name="Traffic"/>: count outgoing connections one by one
/// and label their traffic with the real destination from the host's conntrack table
/// (<c>actual_peer_address</c>, <c>actual_port</c>; <see cref="OutgoingTrafficLedger"/>).</param>
public sealed record EbpfOptions(bool PerPid = false, string ProcfsRoot = "/proc", bool Traffic = false, string Rootfs = "/", bool Conntrack = false)
{
    /// <summary>
    /// How often a read walks the cgroup mount to retire the map entries of cgroups that are
    /// gone (<see cref="DeadCgroups"/>); an entry goes after two walks missed it.
    /// </summary>
    public TimeSpan RetireInterval { get; init; } = TimeSpan.FromMinutes(1);
}
