namespace ConnExporter.Kernel.Ebpf;

/// <summary>
/// Names, sizes and offsets of the maps and structs in bpf/conn_events.bpf.c (BPF lays structs
/// out with natural alignment, as the C comments show). Values are in host byte order.
/// </summary>
internal static class ConnEventsLayout
{
    public const string ObjectName = "conn_events";
    public const string ResourceName = "conn_events.bpf.o";
    public const string ProgramName = "on_inet_sock_set_state";
    /// <summary>The BTF raw tracepoint of <c>SEC("tp_btf/…")</c> (include/trace/events/sock.h).</summary>
    public const string TracepointName = "inet_sock_set_state";

    public const string TotalsMap = "conn_totals";
    public const string LatencyMap = "conn_latency";
    public const string AcceptsMap = "conn_accepts";
    public const string PidsMap = "conn_pids";
    public const string CountersMap = "conn_counters";
    public const string CgroupsMap = "conn_cgroups";
    public const string TrafficMap = "conn_traffic";
    public const string ConnectionsMap = "conn_traffic_conns";

    /// <summary>The traffic programs, attached beside <see cref="ProgramName"/> unless traffic is off;
    /// each with the tracepoint it attaches to (include/trace/events/tcp.h).</summary>
    public static readonly (string Program, string Tracepoint)[] TrafficPrograms =
    [
        ("on_tcp_sendmsg_locked", "tcp:tcp_sendmsg_locked"),
        ("on_tcp_retransmit_skb", "tcp:tcp_retransmit_skb"),
        ("on_tcp_send_reset", "tcp:tcp_send_reset"),
        ("on_tcp_receive_reset", "tcp:tcp_receive_reset"),
    ];

    /// <summary>The global-data map holding <c>count_pids</c> (a __u32 at offset 0),
    /// <c>count_traffic</c> (offset 4) and <c>count_conns</c> (offset 8).</summary>
    public const string ConfigMap = ".rodata.config";
    public const int ConfigSize = 12;
    public const int CounterSlots = 9;

    public const int CommLength = 16; // TASK_COMM_LEN

    // struct connect_key { char comm[16]; __u64 cgroup_id; __u16 family; __u16 result; __u32 pad; }
    public const int ConnectKeySize = 32;
    public const int ConnectKeyCgroup = 16;
    public const int ConnectKeyFamily = 24;
    public const int ConnectKeyResult = 26;

    // struct latency_key { char comm[16]; __u64 cgroup_id; }
    public const int LatencyKeySize = 24;
    public const int LatencyKeyCgroup = 16;

    // struct latency_value { __u64 slots[17]; __u64 sum_ns; }
    public const int LatencySlots = 17;
    public const int LatencyValueSize = (LatencySlots + 1) * 8;
    public const int LatencyValueSum = LatencySlots * 8;

    // struct accept_key { __u64 cgroup_id; __u16 port; __u16 family; __u32 pad; }
    public const int AcceptKeySize = 16;
    public const int AcceptKeyPort = 8;
    public const int AcceptKeyFamily = 10;

    // __u32 tgid -> struct pid_value { __u64 count; char comm[16]; }
    public const int PidKeySize = 4;
    public const int PidValueSize = 24;
    public const int PidValueComm = 8;

    // __u64 cgroup id -> struct cgroup_names { char leaf[128]; char parent[128]; }
    public const int CgroupKeySize = 8;
    public const int CgroupNameLength = 128;
    public const int CgroupNamesSize = 2 * CgroupNameLength;

    // struct traffic_key { char comm[16]; __u64 cgroup_id; __u8 peer[16]; __u16 port; __u16 family;
    //                      __u8 direction; __u8 pad[3]; }
    public const int TrafficKeySize = 48;
    public const int TrafficKeyCgroup = 16;
    public const int TrafficKeyPeer = 24;
    public const int TrafficKeyPort = 40;
    public const int TrafficKeyFamily = 42;
    public const int TrafficKeyDirection = 44;

    // struct traffic_value { __u64 sent_bytes, received_bytes, retransmits, resets_sent, resets_received; }
    public const int TrafficValueSize = 40;

    // struct conn_id { __u64 sk; __u64 start_ns; } -> struct conn_traffic { struct traffic_key key;
    //   struct traffic_value totals; __u8 local[16]; __u16 local_port; __u8 closed; __u8 pad[5]; }
    public const int ConnectionKeySize = 16;
    public const int ConnectionValueSize = 112;
    public const int ConnectionTotals = 48;
    public const int ConnectionLocal = 88;
    public const int ConnectionLocalPort = 104;
    public const int ConnectionClosed = 106;

    // struct traffic_socket: the socket-local storage (never read by user space; its size is
    // asserted so the C and the documentation agree)
    public const int TrafficSocketSize = 96;

    // AF_INET, AF_INET6 (include/linux/socket.h)
    public const ushort AfInet = 2;
    public const ushort AfInet6 = 10;

    /// <summary>Upper bounds of the latency slots in seconds (the last slot is +Inf); the C code's ns bounds.</summary>
    public static ReadOnlySpan<double> LatencyBounds =>
    [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ];
}
