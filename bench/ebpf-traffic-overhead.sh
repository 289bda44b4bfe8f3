#!/usr/bin/env bash
# What the eBPF traffic counters (--collector.ebpf.traffic) cost, against the same object with
# only the connect counters attached and against no program at all, in the same run:
#   short: a loop of loopback connections (connect, accept, 64 bytes each way, RST-close both
#          ends: no TIME_WAIT), wall time per connection;
#   bulk:  one loopback connection moving MB megabytes in 64 KiB writes, CPU time (user + system
#          of sender and receiver, which on loopback includes the softirq work) per MB.
# Runs alternate (none, connects, traffic, none, ...) to spread drift; medians are reported, and
# the kernel's own timing of every program (kernel.bpf_stats_enabled) summed per connection / MB,
# then per program. The timing is per program, not per process: other work on the machine that
# opens connections adds runs (a figure of more than 6 inet_sock_set_state runs per connection
# says so). Mode "conns" is traffic with --collector.conntrack's per-connection entries for
# outgoing connections (count_conns; the exporter's reading and deleting of them at each scrape
# is user-space work, not counted here). BEFORE=other.o adds a fifth mode, "before": that object with traffic on, in the
# same run (e.g. the committed object of an earlier commit, for an A/B of a change).
#
# STATS=0: without kernel.bpf_stats_enabled (see below).
# MODES="connects traffic" runs only those (connects must be among them for the paired figures).
# Usage (root): [BEFORE=old.o] [MODES=...] bench/ebpf-traffic-overhead.sh [connects-per-run] [megabytes-per-run] [runs]
# Needs: gcc, libbpf-dev (scripts/prereqs.d/50-ebpf.sh), kernel BTF, Linux 6.11+ (tracepoints).
set -euo pipefail
cd "$(dirname "$0")/.."
connects=${1:-20000}
megabytes=${2:-2000}
runs=${3:-7}
object=${OBJECT:-src/ConnExporter/Kernel/Ebpf/bpf/conn_events.bpf.o}
before=${BEFORE:-}
modes=${MODES:-"none connects traffic conns${before:+ before}"}
work=$(mktemp -d)
loader_pid=
cleanup() {
  [ -n "$loader_pid" ] && kill "$loader_pid" 2>/dev/null || true
  rm -rf "$work"
}
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
# The kernel's timing of the programs costs ~60 ns per program run itself; STATS=0 leaves it off
# (as in production: the wall and CPU figures then carry no timing overhead, the kernel ns are 0).
sysctl -qw kernel.bpf_stats_enabled="${STATS:-1}"
trap 'sysctl -qw kernel.bpf_stats_enabled="$stats_before"; cleanup' EXIT

cat >"$work/load.c" <<'C'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
static int listener(struct sockaddr_in *a) {
  socklen_t len = sizeof *a;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  a->sin_family = AF_INET; a->sin_addr.s_addr = htonl(INADDR_LOOPBACK); a->sin_port = 0;
  if (bind(l, (struct sockaddr *)a, sizeof *a) || listen(l, 128) || getsockname(l, (struct sockaddr *)a, &len)) { perror("listen"); exit(1); }
  return l;
}
static void full(int fd, char *b, int n, int rd) {
  for (int d = 0; d < n;) { int r = rd ? read(fd, b + d, n - d) : write(fd, b + d, n - d); if (r <= 0) { perror("io"); exit(1); } d += r; }
}
int main(int argc, char **argv) {
  struct sockaddr_in a;
  int l = listener(&a);
  if (!strcmp(argv[1], "short")) {
    int n = atoi(argv[2]);
    struct linger rst = { 1, 0 };
    char b[64] = {0};
    double t0 = now();
    for (int i = 0; i < n; i++) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      if (connect(c, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
      int s = accept(l, NULL, NULL);
      if (s < 0) { perror("accept"); return 1; }
      full(c, b, 64, 0); full(s, b, 64, 1); full(s, b, 64, 0); full(c, b, 64, 1);
      setsockopt(c, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
      setsockopt(s, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
      close(c);
      close(s);
    }
    /* Wall and CPU time (user + system: on loopback both ends' softirq work runs in this
       process) per connection: CPU time leaves out the time other work on the machine took. */
    double wall = (now() - t0) / n;
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    double cpu = (self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1e9 + (self.ru_utime.tv_usec + self.ru_stime.tv_usec) * 1e3;
    printf("%.0f %.0f\n", wall, cpu / n);
    return 0;
  }
  /* bulk: a child reads everything; CPU time of both from getrusage. */
  long mb = atol(argv[2]);
  static char b[65536];
  pid_t pid = fork();
  if (pid == 0) {
    int s = accept(l, NULL, NULL);
    while (read(s, b, sizeof b) > 0) {}
    _exit(0);
  }
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
  for (long i = 0; i < mb * 16; i++) full(c, b, sizeof b, 0);
  close(c);
  int status;
  waitpid(pid, &status, 0);
  struct rusage self, kids;
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &kids);
  double cpu = (self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1e9
             + (self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) * 1e3;
  printf("%.0f\n", cpu / mb);
  return 0;
}
C

cat >"$work/attach.c" <<'C'
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static volatile sig_atomic_t stopped;
static void stop(int sig) { (void)sig; stopped = 1; }
int main(int argc, char **argv) {
  sigset_t term, waiting;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &waiting);
  signal(SIGTERM, stop);
  int with_traffic = argv[2][0] != '0', with_conns = argv[2][0] == '2';
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj) { fprintf(stderr, "open failed\n"); return 1; }
  /* As the exporter does: count_traffic in .rodata.config, the traffic programs not even loaded without it. */
  struct bpf_map *config = bpf_object__find_map_by_name(obj, ".rodata.config");
  size_t size;
  unsigned int *values = config ? bpf_map__initial_value(config, &size) : NULL;
  if (!values || size < 8) { fprintf(stderr, "no .rodata.config\n"); return 1; }
  values[1] = with_traffic;
  if (size >= 12) values[2] = with_conns; /* count_conns: objects before it have 8 bytes */
  /* Every program but the connect counters' is a traffic program (as ConnEventsLayout.TrafficPrograms lists them). */
  struct bpf_program *p;
  bpf_object__for_each_program(p, obj)
    if (strcmp(bpf_program__name(p), "on_inet_sock_set_state")) bpf_program__set_autoload(p, with_traffic);
  if (bpf_object__load(obj)) { fprintf(stderr, "load failed\n"); return 1; }
  bpf_object__for_each_program(p, obj) {
    if (!bpf_program__autoload(p)) continue;
    if (!bpf_program__attach_trace(p)) { fprintf(stderr, "attach %s failed\n", bpf_program__name(p)); return 1; }
  }
  printf("attached\n");
  fflush(stdout);
  while (!stopped) sigsuspend(&waiting);
  unsigned long long cnt = 0, ns = 0;
  bpf_object__for_each_program(p, obj) {
    if (!bpf_program__autoload(p)) continue;
    struct bpf_prog_info info = {0};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0) {
      cnt += info.run_cnt; ns += info.run_time_ns;
      printf("prog %s %llu %llu\n", bpf_program__name(p), info.run_cnt, info.run_time_ns);
    }
  }
  printf("stats %llu %llu\n", cnt, ns);
  return 0;
}
C
gcc -O2 -o "$work/load" "$work/load.c"
gcc -O2 -o "$work/attach" "$work/attach.c" -lbpf

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A result kruns kns
# mode: none | connects | traffic | conns | before; workload: short | bulk
measure() {
  local mode=$1 workload=$2 arg=$3 value
  if [ "$mode" != none ]; then
    local obj=$object traffic=1
    [ "$mode" = before ] && obj=$before
    [ "$mode" = connects ] && traffic=0
    [ "$mode" = conns ] && traffic=2
    # Emptied here, not by the background job's redirection: that may run after the wait below
    # has looked, and found the previous run's "attached".
    : >"$work/attached"
    "$work/attach" "$obj" "$traffic" >"$work/attached" &
    loader_pid=$!
    for _ in $(seq 300); do grep -q attached "$work/attached" 2>/dev/null && break; sleep 0.1; done
    grep -q attached "$work/attached" || { echo "could not attach $object ($mode)" >&2; exit 1; }
  fi
  value=$("$work/load" "$workload" "$arg")
  if [ "$workload" = short ]; then
    result[$mode.shortcpu]+="${value#* } "
    value=${value%% *}
  fi
  result[$mode.$workload]+="$value "
  if [ "$mode" != none ]; then
    kill "$loader_pid"; wait "$loader_pid" 2>/dev/null || true; loader_pid=
    read -r _ cnt ns < <(grep '^stats' "$work/attached") || { cnt=0; ns=0; }
    grep '^prog' "$work/attached" | sed "s/^prog/$mode $workload/" >>"$work/programs" || true
    kruns[$mode.$workload]=$(( ${kruns[$mode.$workload]:-0} + cnt ))
    kns[$mode.$workload]=$(( ${kns[$mode.$workload]:-0} + ns ))
  fi
}

"$work/load" short 2000 >/dev/null # warm up
# Each round starts one mode later than the last, so no mode always runs right after another
# (a cache or allocator state one leaves behind, drift within a round).
read -ra order <<<"$modes"
for ((r = 0; r < runs; r++)); do
  rotated=("${order[@]:r % ${#order[@]}}" "${order[@]:0:r % ${#order[@]}}")
  for mode in "${rotated[@]}"; do measure "$mode" short "$connects"; done
  for mode in "${rotated[@]}"; do measure "$mode" bulk "$megabytes"; done
done
echo "kernel: $(uname -r), cpus: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg), runs: $runs, connects per run: $connects, MB per bulk run: $megabytes"
for workload in short shortcpu bulk; do
  case $workload in
    short) unit="wall ns per connection" ;;
    shortcpu) unit="CPU ns per connection" ;;
    *) unit="CPU ns per MB" ;;
  esac
  base=$(echo ${result[none.$workload]:-${result[connects.$workload]}} | tr ' ' '\n' | median)
  for mode in $modes; do
    m=$(echo ${result[$mode.$workload]} | tr ' ' '\n' | median)
    per=$([ $workload = bulk ] && echo $((megabytes * runs)) || echo $((connects * runs)))
    awk -v w="$workload" -v mode="$mode" -v m="$m" -v base="$base" -v all="${result[$mode.$workload]}" -v n="${kruns[$mode.$workload]:-0}" -v ns="${kns[$mode.$workload]:-0}" -v per="$per" -v unit="$unit" 'BEGIN {
      printf "%-5s %-8s median %d %s (%+d, %+.2f%% vs none)", w, mode, m, unit, m - base, (m - base) * 100 / base
      if (n > 0) printf "; programs: %.1f runs and %.0f kernel ns per %s", n / per, ns / per, (w == "short" ? "connection" : "MB")
      printf "\n  all: %s\n", all }'
    # Paired with the connect counters' run of the same round (they alternate): drift between
    # rounds cancels, which medians of each mode alone keep.
    if [ "$mode" != none ] && [ "$mode" != connects ]; then
      awk -v a="${result[$mode.$workload]}" -v b="${result[connects.$workload]}" -v unit="$unit" 'BEGIN {
        n = split(a, x, " "); split(b, y, " "); for (i = 1; i <= n; i++) d[i] = x[i] - y[i]
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (d[j] < d[i]) { t = d[i]; d[i] = d[j]; d[j] = t }
        printf "  paired with connects, round by round: median %+d %s (min %+d, max %+d)\n", d[int((n + 1) / 2)], unit, d[1], d[n] }'
    fi
    [ "$mode" = none ] || awk -v mode="$mode" -v w="$workload" -v per="$per" '$1 == mode && $2 == w { n[$3] += $4; ns[$3] += $5 }
      END { for (p in n) if (n[p]) printf "    %-26s %6.2f runs, %4.0f ns per run, %6.0f ns per %s\n", p, n[p] / per, ns[p] / n[p], ns[p] / per, (w == "short" ? "connection" : "MB") }' "$work/programs"
  done
done
