namespace ConnExporter.Kernel.Ebpf;

/// <summary>Slots of the <c>conn_counters</c> per-CPU array; COUNTER_* in bpf/conn_events.bpf.c.</summary>
internal enum EbpfCounter
{
    /// <summary>A connect ended whose start was not recorded (begun before attach, or evicted from conn_start).</summary>
    NoStart = 0,
    StartFull = 1,
    TotalsFull = 2,
    LatencyFull = 3,
    AcceptsFull = 4,
    PidsFull = 5,
    /// <summary>A cgroup's names could not be recorded: conn_cgroups refused the entry.</summary>
    CgroupsFull = 6,
    /// <summary>Bytes, retransmits or a reset not counted: conn_traffic had no room for a new label set.</summary>
    TrafficFull = 7,
    /// <summary>An outgoing connection counted in conn_traffic, without its real destination:
    /// conn_traffic_conns (with --collector.conntrack) was full.</summary>
    ConnectionsFull = 8,
}
