// SPDX-License-Identifier: (MIT OR GPL-2.0)
//
// TCP connection events for conn-exporter, from the BTF-enabled raw tracepoint
// inet_sock_set_state (tp_btf: no kprobes, no vmlinux.h, no tracefs, no perf_event_open; it
// attaches with the bpf syscall alone and needs kernel BTF, Linux 5.8 or later). Every outcome is
// aggregated in maps that user space reads at scrape time; nothing is streamed per event.
//
//   CLOSE -> SYN_SENT         connect() in the caller's task: remember who and when, by socket
//   SYN_SENT -> ESTABLISHED   connect succeeded: count + latency histogram
//   SYN_SENT -> CLOSE         connect failed: classified by sk->sk_err, which the kernel sets
//                             before the state change (tcp_done_with_error: ECONNREFUSED on RST,
//                             ETIMEDOUT after the SYN retries); 0 means the caller gave up (close)
//   SYN_RECV -> ESTABLISHED   a passive open completed on the child socket: accept on its port
//
// Later transitions run in softirq, where "current" is whoever was interrupted: the caller's
// identity is therefore carried per socket address from the CLOSE -> SYN_SENT event.
//
// Rebuild with ./build.sh (it strips DWARF so the committed object is byte-for-byte reproducible).

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

// Just the kernel fields read, relocated by libbpf against the running kernel's BTF (CO-RE):
// include/net/sock.h, include/linux/cgroup-defs.h, include/linux/kernfs.h. The tracepoint hands
// the program a BTF-typed struct sock pointer, so these are plain loads the verifier checks
// against the kernel's own types (a fault reads as zero), not bpf_probe_read calls.
struct kernfs_node {
	__u64 id;
	const char *name;
} __attribute__((preserve_access_index));

struct cgroup;

struct cgroup_subsys_state {
	struct cgroup *cgroup;
	struct cgroup_subsys_state *parent;
} __attribute__((preserve_access_index));

struct cgroup {
	struct cgroup_subsys_state self;
	struct kernfs_node *kn;
} __attribute__((preserve_access_index));

// include/linux/cgroup-defs.h, include/linux/sched.h: the task's cgroup v2 cgroup, whose
// kernfs node id is what bpf_get_current_cgroup_id returns.
struct css_set {
	struct cgroup *dfl_cgrp;
} __attribute__((preserve_access_index));

struct task_struct {
	struct css_set *cgroups;
} __attribute__((preserve_access_index));

struct sock_cgroup_data {
	struct cgroup *cgroup;
} __attribute__((preserve_access_index));

struct in6_addr {
	union {
		__u8 u6_addr8[16];
	} in6_u;
} __attribute__((preserve_access_index));

// skc_num (the local port, host order), skc_daddr and skc_dport (network order) sit in
// anonymous structs and unions in the kernel; libbpf's field matching looks through them.
struct sock_common {
	unsigned short skc_family;
	__u16 skc_num;
	__u32 skc_daddr;
	__u32 skc_rcv_saddr;
	__u16 skc_dport;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
	unsigned long skc_flags; // sk_flags is #defined to it (include/net/sock.h)
	unsigned int skc_hash;   // the connection's 4-tuple hash (inet_ehashfn) once it is hashed
} __attribute__((preserve_access_index));

// sk_protocol is a plain u16 since Linux 5.6 (a bitfield before), below the 5.8 this needs.
struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
	int sk_err;
	struct sock_cgroup_data sk_cgrp_data;
} __attribute__((preserve_access_index));

// include/linux/tcp.h: the RFC 4898 byte counters (Linux 4.1+; they count the sequence space
// acknowledged and received, so a SYN and a FIN count one each: see payload_acked) and the
// retransmitted segments, as tcp_info reports them.
struct tcp_sock {
	__u64 bytes_received;
	__u64 bytes_acked;
	__u32 snd_una;
	__u32 write_seq;
	__u32 total_retrans;
} __attribute__((preserve_access_index));

// include/net/tcp_states.h
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_FIN_WAIT1 4
#define TCP_FIN_WAIT2 5
#define TCP_CLOSE 7
#define TCP_CLOSE_WAIT 8
#define TCP_LISTEN 10
#define TCP_LAST_ACK 9
#define TCP_CLOSING 11
#define IPPROTO_TCP 6
#define AF_INET6_BPF 10

// include/net/sock.h, enum sock_flags: set by tcp_fin when the peer's FIN arrived.
#define SOCK_DONE 1

// include/uapi/asm-generic/errno.h
#define ECONNRESET 104
#define ETIMEDOUT 110
#define ECONNREFUSED 111

// Must match ConnectResult in C#.
#define RESULT_ESTABLISHED 0
#define RESULT_REFUSED 1
#define RESULT_TIMEOUT 2
#define RESULT_RESET 3
#define RESULT_OTHER 4

// Must match EbpfCounter in C#.
#define COUNTER_NO_START 0
#define COUNTER_START_FULL 1
#define COUNTER_TOTALS_FULL 2
#define COUNTER_LATENCY_FULL 3
#define COUNTER_ACCEPTS_FULL 4
#define COUNTER_PIDS_FULL 5
#define COUNTER_CGROUPS_FULL 6
#define COUNTER_TRAFFIC_FULL 7
#define COUNTER_CONNS_FULL 8
#define COUNTER_SLOTS 9

// Set by user space before load (libbpf's initial value of the .rodata.config map): the
// verifier then drops the per-process bookkeeping from the program when it is off.
const volatile __u32 count_pids SEC(".rodata.config") = 0;
// Keep per-socket byte, retransmit and reset counts (the traffic programs are attached too).
const volatile __u32 count_traffic SEC(".rodata.config") = 0;
// Keep the traffic of outgoing connections per connection, with its 4-tuple, for user space
// to join with the conntrack table (set with --collector.conntrack): the real destination
// behind a destination NAT is in that table alone, which a tracing program cannot read.
const volatile __u32 count_conns SEC(".rodata.config") = 0;

// Long enough for the longest unit names seen in practice: cri-containerd-<64 hex>.scope is 85.
#define CGROUP_NAME_LEN 128

// Latency buckets: upper bounds in nanoseconds, 100 us .. 10 s; slot LATENCY_BOUNDS is +Inf.
#define LATENCY_BOUNDS 16
#define LATENCY_SLOTS (LATENCY_BOUNDS + 1)

struct connect_start {
	__u64 start_ns;
	__u64 cgroup_id;
	char comm[16];
	__u32 tgid;
	__u32 pad;
};

struct connect_key {
	char comm[16];
	__u64 cgroup_id;
	__u16 family;
	__u16 result;
	__u32 pad;
};

struct latency_key {
	char comm[16];
	__u64 cgroup_id;
};

struct latency_value {
	__u64 slots[LATENCY_SLOTS];
	__u64 sum_ns;
};

struct accept_key {
	__u64 cgroup_id;
	__u16 port;
	__u16 family;
	__u32 pad;
};

struct pid_value {
	__u64 count;
	char comm[16];
};

// The last two components of a cgroup's path, as they were while the cgroup existed: user space
// names units from the cgroup mount, which no longer shows a cgroup that came and went between
// two scrapes (a timer's service, a short systemd-run, a finished pod).
struct cgroup_names {
	char leaf[CGROUP_NAME_LEN];
	char parent[CGROUP_NAME_LEN];
};

// Connects in flight, by socket address. LRU: a socket whose end is never seen must not pin a slot.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct connect_start);
} conn_start SEC(".maps");

// Monotonic totals: plain hashes (an evicted entry would make a counter go backwards); when full,
// the event is counted as dropped instead.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct connect_key);
	__type(value, __u64);
} conn_totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct latency_key);
	__type(value, struct latency_value);
} conn_latency SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct accept_key);
	__type(value, __u64);
} conn_accepts SEC(".maps");

// Connects per live process (the original monitor's metric); user space drops exited pids.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct pid_value);
} conn_pids SEC(".maps");

// Names by cgroup id, recorded at a cgroup's first connect or accept. User space looks a name up
// only for a cgroup it no longer finds on the mount, at the next read; LRU, so that only a host
// that starts more than 2048 connecting cgroups between two scrapes loses (the oldest) names.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 2048);
	__type(key, __u64);
	__type(value, struct cgroup_names);
} conn_cgroups SEC(".maps");

// Room to build a cgroup_names: 256 bytes is half the BPF stack.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgroup_names);
} conn_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} conn_counters SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&conn_counters, &slot);
	if (v)
		*v += 1;
}

// Adds one to a per-CPU counter, creating it on first use. Two CPUs may race to create the same
// key: the loser's BPF_NOEXIST fails and it finds the winner's entry on the second lookup.
static __always_inline void add_percpu(void *map, const void *key, __u32 full_slot)
{
	__u64 *v = bpf_map_lookup_elem(map, key);
	if (!v) {
		__u64 one = 1;
		if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) == 0)
			return;
		v = bpf_map_lookup_elem(map, key);
		if (!v) {
			count(full_slot);
			return;
		}
	}
	*v += 1;
}

static __always_inline __u32 latency_slot(__u64 ns)
{
	// 100us 250us 500us 1ms 2.5ms 5ms 10ms 25ms 50ms 100ms 250ms 500ms 1s 2.5s 5s 10s
	static const __u64 bounds[LATENCY_BOUNDS] = {
		100000ULL, 250000ULL, 500000ULL, 1000000ULL, 2500000ULL, 5000000ULL,
		10000000ULL, 25000000ULL, 50000000ULL, 100000000ULL, 250000000ULL, 500000000ULL,
		1000000000ULL, 2500000000ULL, 5000000000ULL, 10000000000ULL,
	};
	__u32 i;
#pragma unroll
	for (i = 0; i < LATENCY_BOUNDS; i++) {
		if (ns <= bounds[i])
			return i;
	}
	return LATENCY_BOUNDS;
}

// The key's first fields are a latency_key's (comm, cgroup_id), as connect_key's are.
static __always_inline void record_latency(const struct latency_key *from, __u64 ns)
{
	struct latency_key key = {};
	__builtin_memcpy(key.comm, from->comm, sizeof(key.comm));
	key.cgroup_id = from->cgroup_id;
	__u32 slot = latency_slot(ns);
	struct latency_value *v = bpf_map_lookup_elem(&conn_latency, &key);
	if (!v) {
		// Created empty, then filled like an existing one (a racing CPU may have created it).
		struct latency_value zero = {};
		bpf_map_update_elem(&conn_latency, &key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&conn_latency, &key);
		if (!v) {
			count(COUNTER_LATENCY_FULL);
			return;
		}
	}
	if (slot < LATENCY_SLOTS)
		v->slots[slot] += 1;
	v->sum_ns += ns;
}

// BPF has no memcmp: compare the 16 bytes as two words.
static __always_inline int comm_equal(const char *a, const char *b)
{
	__u64 a0, a1, b0, b1;
	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

static __always_inline void record_pid(__u32 tgid, const char *comm)
{
	struct pid_value *v = bpf_map_lookup_elem(&conn_pids, &tgid);
	if (v) {
		// Same pid, other name: the pid was reused (or the process exec'd); start over.
		if (!comm_equal(v->comm, comm)) {
			__builtin_memcpy(v->comm, comm, 16);
			v->count = 1;
			return;
		}
		__sync_fetch_and_add(&v->count, 1);
		return;
	}
	struct pid_value fresh = { .count = 1 };
	__builtin_memcpy(fresh.comm, comm, 16);
	if (bpf_map_update_elem(&conn_pids, &tgid, &fresh, BPF_ANY) != 0)
		count(COUNTER_PIDS_FULL);
}

// The cgroup each CPU recorded or found last: most connects come from a cgroup that connected
// just before, and an array lookup is much cheaper than the hash lookup it saves.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} conn_cgroup_last SEC(".maps");

// True when the cgroup's names are recorded already (or cannot be); remembers it as this CPU's last.
static __always_inline int cgroup_known(__u64 id)
{
	__u32 zero = 0;
	__u64 *last = bpf_map_lookup_elem(&conn_cgroup_last, &zero);
	if (!last || id == 0 || *last == id)
		return 1;
	*last = id;
	return bpf_map_lookup_elem(&conn_cgroups, &id) != 0;
}

// Records a cgroup's name and its parent's (probe reads: only on a cgroup's first event).
static __always_inline void record_cgroup(__u64 id, const struct cgroup *cg)
{
	__u32 zero = 0;
	struct cgroup_names *names = bpf_map_lookup_elem(&conn_scratch, &zero);
	if (!names || !cg)
		return;
	names->leaf[0] = 0;
	names->parent[0] = 0;
	const char *leaf = BPF_CORE_READ(cg, kn, name);
	if (leaf)
		bpf_probe_read_kernel_str(names->leaf, sizeof(names->leaf), leaf);
	const struct cgroup *parent = BPF_CORE_READ(cg, self.parent, cgroup);
	const char *up = parent ? BPF_CORE_READ(parent, kn, name) : 0;
	if (up)
		bpf_probe_read_kernel_str(names->parent, sizeof(names->parent), up);
	if (bpf_map_update_elem(&conn_cgroups, &id, names, BPF_NOEXIST) != 0 &&
	    !bpf_map_lookup_elem(&conn_cgroups, &id))
		count(COUNTER_CGROUPS_FULL);
}

static __always_inline __u16 classify(const struct sock *sk)
{
	switch (sk->sk_err) {
	case ECONNREFUSED:
		return RESULT_REFUSED;
	case ETIMEDOUT:
		return RESULT_TIMEOUT;
	case ECONNRESET:
		return RESULT_RESET;
	default:
		return RESULT_OTHER;
	}
}

static __always_inline __u64 socket_cgroup(const struct sock *sk)
{
	// Linux 5.8 .. 5.14 kept a tagged word here instead of the pointer: no cgroup, no unit.
	if (!bpf_core_field_exists(sk->sk_cgrp_data.cgroup))
		return 0;
	const struct cgroup *cg = sk->sk_cgrp_data.cgroup;
	__u64 id = cg->kn->id;
	if (!cgroup_known(id))
		record_cgroup(id, cg);
	return id;
}


// ---- Traffic: bytes, retransmits and resets per owner and peer --------------------------------
//
// Each TCP socket opened after attach has an entry in conn_traffic_sockets: its owner and peer (the
// key it is counted under) and how much of its own counters has been added to conn_traffic
// already. Every hook adds only the difference to what was counted (advance: compare-and-swap,
// so two CPUs flushing one socket never count the same bytes twice), and the final transition to
// CLOSE adds the rest: a connection that opened and closed between two scrapes is counted exactly
// once, and user space reads conn_traffic alone (never live tcp_info on top, which would count
// twice). Live connections are flushed at most once a second from the send path
// (tcp_sendmsg_locked, in the owning task), at CLOSE_WAIT and on every retransmit. There is no
// receive hook: it ran per recvmsg and cost a third of the bulk overhead (docs/traffic.md), so
// what a socket receives waits for one of those.

// Must match Direction in C# (Inventory/Direction.cs).
#define DIRECTION_INCOMING 2
#define DIRECTION_OUTGOING 3

// Live connections are flushed when a hook runs at least this long after the previous flush.
#define FLUSH_INTERVAL_NS 1000000000ULL

// The label set: owner (process name, cgroup) and aggregated peer. peer is the remote address
// (IPv4 in the first 4 bytes), port the remote port for outgoing and the local port for incoming
// connections (host order): never the ephemeral port.
struct traffic_key {
	char comm[16];
	__u64 cgroup_id;
	__u8 peer[16];
	__u16 port;
	__u16 family;
	__u8 direction;
	__u8 pad[3];
};

struct traffic_value {
	__u64 sent_bytes;
	__u64 received_bytes;
	__u64 retransmits;
	__u64 resets_sent;
	__u64 resets_received;
};

// Most TCP sockets tracked at once (opened after attach, not yet destroyed); past it a socket is
// not counted and COUNTER_TRAFFIC_FULL says so.
#define TRAFFIC_SOCKETS 262144

struct traffic_socket {
	struct traffic_key key;
	__u64 acked;         // payload bytes acknowledged, as far as counted
	__u64 received;      // payload bytes received, as far as counted
	__u64 retrans;       // total_retrans as far as counted
	__u64 flushed_ns;    // bpf_ktime_get_ns at the last periodic flush
	__u64 start_ns;      // bpf_ktime_get_ns at connect (outgoing): the connect latency's start
	__u8 named;          // key.comm is the owning task's (incoming sockets learn it late)
	__u8 fin_sent;       // the socket queued its FIN (entered FIN_WAIT1 or LAST_ACK)
	__u8 reset_received; // tcp_reset ran: the change to CLOSE that follows at once counts it
	__u8 pad;
	__u16 local_port;    // skc_num at ESTABLISHED: CLOSE comes after inet_put_port zeroed it
	__u16 pad2;
};

// Keyed by the socket's address, from its start (connect, or ESTABLISHED for an incoming one)
// to its final flush at CLOSE. A hash without preallocation: elements come from BPF's per-CPU
// allocator and are freed after an RCU grace period, so a pointer a hook holds never points
// into a recycled element. (Socket-local storage frees itself with the socket but costs two
// kmallocs per socket, about 1 µs per connection more: bench/RESULTS.md.)
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TRAFFIC_SOCKETS);
	__type(key, __u64);
	__type(value, struct traffic_socket);
} conn_traffic_sockets SEC(".maps");

// Monotonic totals shared by all CPUs (atomic adds: a per-CPU copy of 32768 entries would cost
// 40 bytes per entry per CPU); a plain hash, so a full map counts COUNTER_TRAFFIC_FULL instead
// of evicting a counter.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, struct traffic_key);
	__type(value, struct traffic_value);
} conn_traffic SEC(".maps");

// The last sockets that closed on this CPU, with their keys: an abortive close (SO_LINGER 0, or
// close with unread data) sends its RST right after the change to CLOSE, in the same context,
// when the socket's entry is gone already. Several, because sending the RST can run the
// receiving side's softirq first (over loopback: the peer's CLOSE lands in between).
#define CLOSED_SLOTS 4

struct closed_socket {
	__u64 sk;
	__u32 hash; // skc_hash: a later socket at the same address has another 4-tuple
	__u16 local_port;
	__u16 pad;
	__u64 start_ns; // its conn_traffic_conns entry's, with count_conns
	struct traffic_key key;
};

struct closed_sockets {
	__u32 next;
	__u32 pad;
	struct closed_socket slot[CLOSED_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct closed_sockets);
} conn_traffic_closed SEC(".maps");

static __always_inline struct traffic_value *traffic_value(const struct traffic_key *key)
{
	struct traffic_value *v = bpf_map_lookup_elem(&conn_traffic, key);
	if (v)
		return v;
	struct traffic_value zero = {};
	bpf_map_update_elem(&conn_traffic, key, &zero, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&conn_traffic, key);
	if (!v)
		count(COUNTER_TRAFFIC_FULL);
	return v;
}

// Adds each non-zero count of *add to *v (atomic: other CPUs add to the same label set).
static __always_inline void add_totals(struct traffic_value *v, const struct traffic_value *add)
{
	if (add->sent_bytes)
		__sync_fetch_and_add(&v->sent_bytes, add->sent_bytes);
	if (add->received_bytes)
		__sync_fetch_and_add(&v->received_bytes, add->received_bytes);
	if (add->retransmits)
		__sync_fetch_and_add(&v->retransmits, add->retransmits);
	if (add->resets_sent)
		__sync_fetch_and_add(&v->resets_sent, add->resets_sent);
	if (add->resets_received)
		__sync_fetch_and_add(&v->resets_received, add->resets_received);
}

// With count_conns, an outgoing connection counts here instead of in conn_traffic, from its
// first count on: user space sums the entries under the label set plus the real destination it
// finds in the conntrack table for the 4-tuple, and deletes an entry at its first read after
// the one that saw it closed (a reset sent right after CLOSE lands in between). Keyed by the
// socket's address and its connect's start, unique for the socket's life. A full map (user
// space reads it every scrape) sends the counts to conn_traffic, without the destination.
struct conn_id {
	__u64 sk;
	__u64 start_ns;
};

struct conn_traffic {
	struct traffic_key key;
	struct traffic_value totals;
	__u8 local[16];  // the local address (IPv4 in the first 4 bytes): the tuple's source
	__u16 local_port;
	__u8 closed;     // the final flush is in the totals
	__u8 pad[5];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct conn_id);
	__type(value, struct conn_traffic);
} conn_traffic_conns SEC(".maps");

// conn_entry builds a new entry here: 112 bytes more on the stack of on_inet_sock_set_state
// would pass the verifier's 512.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct conn_traffic);
} conn_scratch_conn SEC(".maps");

// Adds to an outgoing connection's entry, or creates it holding the counts (one map operation
// for a connection counted once, at its close); closed marks the entry final, after the adds.
// 0 when the map is full: the caller counts in conn_traffic instead.
static __always_inline int conn_add(const struct traffic_key *key, const struct sock *sk, __u64 start_ns,
				    __u16 local_port, const struct traffic_value *add, __u8 closed)
{
	struct conn_id id = { .sk = (__u64)sk, .start_ns = start_ns };
	struct conn_traffic *c = bpf_map_lookup_elem(&conn_traffic_conns, &id);
	if (!c) {
		__u32 zero = 0;
		struct conn_traffic *fresh = bpf_map_lookup_elem(&conn_scratch_conn, &zero);
		if (!fresh)
			return 0;
		__builtin_memset(fresh, 0, sizeof(*fresh));
		__builtin_memcpy(&fresh->key, key, sizeof(fresh->key));
		__builtin_memcpy(&fresh->totals, add, sizeof(fresh->totals));
		if (key->family == AF_INET6_BPF) {
			__builtin_memcpy(fresh->local, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
		} else {
			__u32 saddr = sk->__sk_common.skc_rcv_saddr;
			__builtin_memcpy(fresh->local, &saddr, 4);
		}
		fresh->local_port = local_port;
		fresh->closed = closed;
		if (bpf_map_update_elem(&conn_traffic_conns, &id, fresh, BPF_NOEXIST) == 0)
			return 1;
		// Another CPU created it meanwhile, or the map is full.
		c = bpf_map_lookup_elem(&conn_traffic_conns, &id);
		if (!c) {
			count(COUNTER_CONNS_FULL);
			return 0;
		}
	}
	add_totals(&c->totals, add);
	// After the adds (atomic, so ordered before it): user space that sees closed reads the
	// final totals at its next read at the latest.
	if (closed)
		c->closed = 1;
	return 1;
}

// Moves *counted up to now and returns by how much; 0 when another CPU got there first (it
// counted the difference) or now is behind (a stale read).
static __always_inline __u64 advance(__u64 *counted, __u64 now)
{
	__u32 i;
#pragma unroll
	for (i = 0; i < 3; i++) {
		__u64 old = *(volatile __u64 *)counted;
		if (now <= old)
			return 0;
		if (__sync_val_compare_and_swap(counted, old, now) == old)
			return now - old;
	}
	return 0;
}

// bytes_acked counts the sequence space acknowledged: the SYN (left out by starting at the
// value seen at ESTABLISHED) and our FIN once it is acknowledged (snd_una has reached write_seq,
// which the FIN advanced by one).
static __always_inline __u64 payload_acked(const struct traffic_socket *t, const struct tcp_sock *tp)
{
	__u64 acked = tp->bytes_acked;
	if (t->fin_sent && tp->snd_una == tp->write_seq && acked > 0)
		acked -= 1;
	return acked;
}

// bytes_received advances over the peer's FIN too (tcp_data_queue moves rcv_nxt to end_seq);
// tcp_fin marks the socket SOCK_DONE when it arrived.
static __always_inline __u64 payload_received(const struct sock *sk, const struct tcp_sock *tp)
{
	__u64 received = tp->bytes_received;
	if ((sk->__sk_common.skc_flags & (1UL << SOCK_DONE)) && received > 0)
		received -= 1;
	return received;
}

// Adds what the socket's counters gained since the last flush. Until the owning task has been
// seen (incoming sockets: a send, or a close or shutdown, in its context) only the final flush at
// CLOSE counts, so a socket's bytes land under one process name: the owner's, or the
// listener's when the owner never showed up.
static __always_inline void flush(struct traffic_socket *t, const struct sock *sk, int final)
{
	if (!t->named && !final)
		return;
	struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);
	if (!tp)
		return;
	__u64 sent = advance(&t->acked, payload_acked(t, tp));
	__u64 received = advance(&t->received, payload_received(sk, tp));
	__u64 retransmits = advance(&t->retrans, tp->total_retrans);
	__u8 reset = final && t->reset_received;
	int own_entry = count_conns && t->key.direction == DIRECTION_OUTGOING;
	if (!sent && !received && !retransmits && !reset) {
		// Nothing new; but a connection counted on its own must tell user space its entry is final.
		if (own_entry && final) {
			struct conn_id id = { .sk = (__u64)sk, .start_ns = t->start_ns };
			struct conn_traffic *c = bpf_map_lookup_elem(&conn_traffic_conns, &id);
			if (c)
				c->closed = 1;
		}
		return;
	}
	struct traffic_value add = { .sent_bytes = sent, .received_bytes = received, .retransmits = retransmits,
				     .resets_received = reset };
	if (own_entry && conn_add(&t->key, sk, t->start_ns, t->local_port, &add, final))
		return;
	struct traffic_value *v = traffic_value(&t->key);
	if (v)
		add_totals(v, &add);
}

static __always_inline struct traffic_socket *traffic_of(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	return bpf_map_lookup_elem(&conn_traffic_sockets, &key);
}

static __always_inline void traffic_peer(struct traffic_key *key, const struct sock *sk)
{
	key->family = sk->__sk_common.skc_family;
	if (key->family == AF_INET6_BPF) {
		__builtin_memcpy(key->peer, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
	} else {
		__u32 daddr = sk->__sk_common.skc_daddr;
		__builtin_memcpy(key->peer, &daddr, 4);
	}
}

// Process names of listeners, recorded at listen() (CLOSE to LISTEN runs in the caller's task):
// an incoming socket is born in softirq, where the current task is whoever was interrupted, so
// it takes its listener's name until its owner shows up. Keyed by cgroup and port, not by
// socket, so that SO_REUSEPORT groups and forked listeners share one entry.
struct listener_key {
	__u64 cgroup_id;
	__u16 port;
	__u16 family;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct listener_key);
	__type(value, char[16]);
} conn_listener_names SEC(".maps");

static __always_inline void listener_key(struct listener_key *key, const struct sock *sk, __u64 cgroup_id)
{
	key->cgroup_id = cgroup_id;
	key->port = sk->__sk_common.skc_num;
	key->family = sk->__sk_common.skc_family;
}

static __always_inline void record_listener(const struct sock *sk)
{
	struct listener_key key = {};
	listener_key(&key, sk, socket_cgroup(sk));
	char comm[16];
	bpf_get_current_comm(comm, sizeof(comm));
	bpf_map_update_elem(&conn_listener_names, &key, comm, BPF_ANY);
}

// The socket each CPU's send hook looked up last, and the clock tick it did so in. The hook
// runs per send chunk (~60 times per MB in bulk) and the hash lookup and the clock read were
// most of its cost: for the same socket within the same tick (jiffies: a plain load, inlined
// by the verifier) it returns at once, so a periodic flush may come up to a tick after its
// second. A socket that reuses a closed one's address has another 4-tuple, hence (but for a
// 1 in 2^32 collision) another hash, so it is looked up at its first send all the same:
// incoming sockets need that lookup for their owner's name.
struct live_last {
	__u64 sk;
	__u64 jiffies;
	__u32 hash;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct live_last);
} conn_traffic_live SEC(".maps");

// Marks the socket as looked up on this CPU in this tick: the send hook skips it until the next.
static __always_inline struct live_last *live_seen(const struct sock *sk, __u64 tick)
{
	__u32 zero = 0;
	struct live_last *last = bpf_map_lookup_elem(&conn_traffic_live, &zero);
	if (last) {
		last->sk = (__u64)sk;
		last->hash = sk->__sk_common.skc_hash;
		last->jiffies = tick;
	}
	return last;
}

// A socket begins: an outgoing one at connect (in the caller's task, so comm and cgroup are the
// caller's, as for conn_totals: the connect counters take its start from here, see
// on_inet_sock_set_state), an incoming one at ESTABLISHED in softirq (the cgroup is the
// listener's, cloned; the process name the listener's until the owner shows up, see flush).
// Built on the stack and inserted whole: one map operation. BPF_ANY: a socket connecting again
// after an abort (tcp_disconnect) starts over. Returns 0 when the socket is followed.
static __always_inline int traffic_begin_outgoing(const struct sock *sk, const struct connect_start *s)
{
	__u64 skaddr = (__u64)sk;
	struct traffic_socket fresh = {};
	// The first periodic flush comes a second after the start: a short connection is counted
	// by its final flush alone (one map update, not three).
	fresh.flushed_ns = s->start_ns;
	fresh.start_ns = s->start_ns;
	fresh.key.direction = DIRECTION_OUTGOING;
	fresh.key.cgroup_id = s->cgroup_id;
	__builtin_memcpy(fresh.key.comm, s->comm, sizeof(fresh.key.comm));
	traffic_peer(&fresh.key, sk);
	fresh.key.port = bpf_ntohs(sk->__sk_common.skc_dport);
	fresh.named = 1;
	if (bpf_map_update_elem(&conn_traffic_sockets, &skaddr, &fresh, BPF_ANY) != 0) {
		count(COUNTER_TRAFFIC_FULL);
		return -1;
	}
	return 0;
}

static __always_inline void traffic_begin_incoming(const struct sock *sk, __u64 cgroup_id)
{
	__u64 skaddr = (__u64)sk;
	struct traffic_socket fresh = {};
	fresh.flushed_ns = bpf_ktime_get_ns();
	fresh.key.direction = DIRECTION_INCOMING;
	fresh.key.cgroup_id = cgroup_id;
	traffic_peer(&fresh.key, sk);
	fresh.key.port = sk->__sk_common.skc_num;
	struct listener_key lkey = {};
	listener_key(&lkey, sk, cgroup_id);
	char *name = bpf_map_lookup_elem(&conn_listener_names, &lkey);
	if (name)
		__builtin_memcpy(fresh.key.comm, name, sizeof(fresh.key.comm));
	struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);
	if (tp) {
		fresh.acked = tp->bytes_acked;
		fresh.received = tp->bytes_received;
	}
	if (bpf_map_update_elem(&conn_traffic_sockets, &skaddr, &fresh, BPF_ANY) != 0)
		count(COUNTER_TRAFFIC_FULL);
}

// Called in the owning task only: its process name replaces the listener's, before any flush
// but the final one has counted anything under the latter.
static __always_inline void name(struct traffic_socket *t)
{
	if (t->named)
		return;
	bpf_get_current_comm(t->key.comm, sizeof(t->key.comm));
	t->named = 1;
}

// The transitions after a socket's start (the caller found its entry). Only CLOSE must flush:
// it counts whatever the socket moved since its last flush. CLOSE_WAIT flushes too (the peer
// has sent all it will: a download is complete there, though its socket may stay open).
static __always_inline void traffic_state(struct traffic_socket *t, const struct sock *sk, int oldstate, int newstate)
{
	if (oldstate == TCP_SYN_SENT && newstate == TCP_ESTABLISHED) {
		// The SYN is acknowledged by now: start the byte counts here. SYN retransmits stay in
		// total_retrans for a later flush to count.
		struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);
		if (tp) {
			t->acked = tp->bytes_acked;
			t->received = tp->bytes_received;
		}
		t->local_port = sk->__sk_common.skc_num;
		// Named already and a second from its first periodic flush: its first sends need no
		// lookup. (Hashed by now: at SYN_SENT skc_hash may still be an earlier socket's.)
		live_seen(sk, bpf_jiffies64());
		return;
	}
	if (newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK) {
		// Only close() and shutdown() queue our FIN: the owning task is current.
		t->fin_sent = 1;
		name(t);
		return;
	}
	if (newstate != TCP_CLOSE) {
		if (newstate == TCP_CLOSE_WAIT)
			flush(t, sk, 0);
		return;
	}
	flush(t, sk, 1);
	__u32 zero = 0;
	struct closed_sockets *closed = bpf_map_lookup_elem(&conn_traffic_closed, &zero);
	if (closed) {
		struct closed_socket *slot = &closed->slot[closed->next++ % CLOSED_SLOTS];
		slot->sk = (__u64)sk;
		slot->hash = sk->__sk_common.skc_hash;
		slot->start_ns = t->start_ns;
		slot->local_port = t->local_port;
		__builtin_memcpy(&slot->key, &t->key, sizeof(slot->key));
	}
	__u64 skaddr = (__u64)sk;
	bpf_map_delete_elem(&conn_traffic_sockets, &skaddr);
}

// The send path: the owning task's process name, and a flush at most once a second.
static __always_inline void traffic_live(struct sock *sk)
{
	if (sk->sk_protocol != IPPROTO_TCP)
		return;
	__u32 zero = 0;
	struct live_last *last = bpf_map_lookup_elem(&conn_traffic_live, &zero);
	if (!last)
		return;
	__u64 tick = bpf_jiffies64();
	if (last->sk == (__u64)sk && last->hash == sk->__sk_common.skc_hash && last->jiffies == tick)
		return;
	last->sk = (__u64)sk;
	last->hash = sk->__sk_common.skc_hash;
	last->jiffies = tick;
	struct traffic_socket *t = traffic_of(sk);
	if (!t)
		return;
	name(t);
	__u64 now = bpf_ktime_get_ns(); // the coarse clock is not for tracing programs
	if (now - t->flushed_ns < FLUSH_INTERVAL_NS)
		return;
	t->flushed_ns = now;
	flush(t, sk, 0);
}

// include/trace/events/tcp.h: TP_PROTO(const struct sock *sk, const struct msghdr *msg,
// const struct sk_buff *skb, int size_goal), in tcp_sendmsg_locked under the socket lock.
SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(on_tcp_sendmsg_locked, struct sock *sk)
{
	if (count_traffic)
		traffic_live(sk);
	return 0;
}

// TP_PROTO(const struct sock *sk, const struct sk_buff *skb, int err): total_retrans has grown
// by the skb's segments, or grows right after; the next flush counts what this one misses.
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(on_tcp_retransmit_skb, const struct sock *sk)
{
	if (!count_traffic || !sk)
		return 0;
	struct traffic_socket *t = traffic_of(sk);
	if (t)
		flush(t, sk, 0);
	return 0;
}

static __always_inline void count_sent_reset(const struct sock *sk)
{
	if (!sk)
		return;
	// Request and time-wait sockets are never in conn_traffic_sockets (not full sockets). The
	// sockets that just closed on this CPU first: most resets are sent right after a CLOSE
	// (an abortive close), and this costs less than the hash lookup it saves.
	struct traffic_key *key = 0;
	__u64 start_ns = 0;
	__u16 local_port = 0;
	__u8 after_close = 0;
	__u32 zero = 0;
	struct closed_sockets *closed = bpf_map_lookup_elem(&conn_traffic_closed, &zero);
	if (closed) {
		__u32 hash = sk->__sk_common.skc_hash;
#pragma unroll
		for (int i = 0; i < CLOSED_SLOTS; i++)
			if (closed->slot[i].sk == (__u64)sk && closed->slot[i].hash == hash) {
				key = &closed->slot[i].key;
				start_ns = closed->slot[i].start_ns;
				local_port = closed->slot[i].local_port;
				after_close = 1;
			}
	}
	if (!key) {
		struct traffic_socket *t = traffic_of(sk);
		if (!t)
			return;
		key = &t->key;
		start_ns = t->start_ns;
		local_port = t->local_port;
	}
	if (count_conns && key->direction == DIRECTION_OUTGOING) {
		struct traffic_value add = { .resets_sent = 1 };
		if (conn_add(key, sk, start_ns, local_port, &add, after_close))
			return;
	}
	struct traffic_value *v = traffic_value(key);
	if (v)
		__sync_fetch_and_add(&v->resets_sent, 1);
}

// TP_PROTO(const struct sock *sk, const struct sk_buff *skb, const enum sk_rst_reason reason):
// sk is NULL for a reset answering a packet no socket owns (a closed port).
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(on_tcp_send_reset, const struct sock *sk)
{
	if (count_traffic)
		count_sent_reset(sk);
	return 0;
}

// TP_PROTO(struct sock *sk), in tcp_reset, which moves the socket to CLOSE right after (unless
// it is there already, and then its entry is gone): marked here, counted by the final flush, so
// a reset costs no totals update of its own.
SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(on_tcp_receive_reset, struct sock *sk)
{
	if (!count_traffic || !sk)
		return 0;
	struct traffic_socket *t = traffic_of(sk);
	if (t)
		t->reset_received = 1;
	return 0;
}

// include/trace/events/sock.h: TP_PROTO(const struct sock *sk, const int oldstate, const int newstate)
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_inet_sock_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;

	__u64 skaddr = (__u64)sk;

	if (oldstate == TCP_CLOSE && newstate == TCP_SYN_SENT) {
		struct connect_start s = {};
		s.start_ns = bpf_ktime_get_ns();
		s.cgroup_id = bpf_get_current_cgroup_id();
		s.tgid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(s.comm, sizeof(s.comm));
		// With traffic on, a followed socket's entry carries the connect's start as well: one
		// map insert per connect, not two.
		if ((!count_traffic || traffic_begin_outgoing(sk, &s) != 0) &&
		    bpf_map_update_elem(&conn_start, &skaddr, &s, BPF_ANY) != 0)
			count(COUNTER_START_FULL);
		if (!cgroup_known(s.cgroup_id)) {
			// bpf_get_current_task, not _btf (5.11+): probe reads keep Linux 5.8 working.
			struct task_struct *task = (struct task_struct *)bpf_get_current_task();
			record_cgroup(s.cgroup_id, BPF_CORE_READ(task, cgroups, dfl_cgrp));
		}
		if (count_pids)
			record_pid(s.tgid, s.comm);
		return 0;
	}

	if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) {
		struct accept_key key = {};
		key.port = sk->__sk_common.skc_num;
		key.family = sk->__sk_common.skc_family;
		key.cgroup_id = socket_cgroup(sk);
		add_percpu(&conn_accepts, &key, COUNTER_ACCEPTS_FULL);
		if (count_traffic)
			traffic_begin_incoming(sk, key.cgroup_id);
		return 0;
	}

	struct traffic_socket *t = 0;
	if (count_traffic) {
		if (oldstate == TCP_CLOSE && newstate == TCP_LISTEN) {
			record_listener(sk);
			return 0;
		}
		// Nothing to do: a child socket's birth, or the steps of a close before CLOSE.
		if (newstate == TCP_SYN_RECV || newstate == TCP_FIN_WAIT2 || newstate == TCP_CLOSING)
			return 0;
		t = traffic_of(sk);
	}

	if (oldstate == TCP_SYN_SENT && (newstate == TCP_ESTABLISHED || newstate == TCP_CLOSE)) {
		struct connect_key key = {};
		__u64 start_ns;
		struct connect_start *s = 0;
		if (t) {
			__builtin_memcpy(key.comm, t->key.comm, sizeof(key.comm));
			key.cgroup_id = t->key.cgroup_id;
			start_ns = t->start_ns;
		} else {
			s = bpf_map_lookup_elem(&conn_start, &skaddr);
			if (!s) {
				count(COUNTER_NO_START);
				return 0;
			}
			__builtin_memcpy(key.comm, s->comm, sizeof(key.comm));
			key.cgroup_id = s->cgroup_id;
			start_ns = s->start_ns;
		}
		key.family = sk->__sk_common.skc_family;
		if (newstate == TCP_ESTABLISHED) {
			key.result = RESULT_ESTABLISHED;
			record_latency((struct latency_key *)&key, bpf_ktime_get_ns() - start_ns);
		} else {
			key.result = classify(sk);
		}
		add_percpu(&conn_totals, &key, COUNTER_TOTALS_FULL);
		if (s)
			bpf_map_delete_elem(&conn_start, &skaddr);
	}

	if (t)
		traffic_state(t, sk, oldstate, newstate);
	return 0;
}
