#!/usr/bin/env bash
# What the eBPF collector costs per TCP connection: a tight loop of loopback connects (connect,
# accept, RST-close both ends: no TIME_WAIT), timed with and without conn_events.bpf.o attached
# to the BTF raw tracepoint inet_sock_set_state (tp_btf). The programs run only in the kernel; the exporter's user side
# reads the maps at scrape time and is not on this path, so a minimal libbpf loader stands in
# for it. Runs alternate (off, on, off, on, ...) to spread drift; medians are reported.
#
# Usage (root): bench/ebpf-overhead.sh [connects-per-run] [runs]
# OBJECT=other.bpf.o measures another object with the same program name (e.g. an empty one).
# Needs: gcc, libbpf-dev (scripts/prereqs.d/50-ebpf.sh), kernel BTF (/sys/kernel/btf/vmlinux).
set -euo pipefail
cd "$(dirname "$0")/.."
connects=${1:-20000}
runs=${2:-7}
object=${OBJECT:-src/ConnExporter/Kernel/Ebpf/bpf/conn_events.bpf.o}
work=$(mktemp -d)
loader_pid=
cleanup() {
  [ -n "$loader_pid" ] && kill "$loader_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

stats_before=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
trap 'sysctl -qw kernel.bpf_stats_enabled="$stats_before"; cleanup' EXIT

cat >"$work/loop.c" <<'C'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int n = atoi(argv[1]);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 128) || getsockname(l, (struct sockaddr *)&a, &len)) { perror("listen"); return 1; }
  struct linger rst = { 1, 0 };
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < n; i++) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
    int s = accept(l, NULL, NULL);
    if (s < 0) { perror("accept"); return 1; }
    setsockopt(c, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
    setsockopt(s, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
    close(c);
    close(s);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("%.0f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n);
  return 0;
}
C

cat >"$work/attach.c" <<'C'
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static volatile sig_atomic_t stopped;
static void stop(int sig) { (void)sig; stopped = 1; }
int main(int argc, char **argv) {
  /* SIGTERM stays blocked until sigsuspend: a kill that arrives while the object loads (seconds
     on a busy machine) must end the wait below, not be swallowed before it starts. */
  sigset_t term, waiting;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &waiting);
  signal(SIGTERM, stop);
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj || bpf_object__load(obj)) { fprintf(stderr, "load failed\n"); return 1; }
  struct bpf_program *p = bpf_object__find_program_by_name(obj, "on_inet_sock_set_state");
  if (!p || !bpf_program__attach_trace(p)) { fprintf(stderr, "attach failed\n"); return 1; }
  printf("attached\n");
  fflush(stdout);
  while (!stopped) sigsuspend(&waiting);
  /* With kernel.bpf_stats_enabled=1 the kernel times every run of the program itself. */
  struct bpf_prog_info info = {0};
  __u32 len = sizeof info;
  if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0)
    printf("stats %llu %llu\n", (unsigned long long)info.run_cnt, (unsigned long long)info.run_time_ns);
  return 0;
}
C
gcc -O2 -o "$work/loop" "$work/loop.c"
gcc -O2 -o "$work/attach" "$work/attach.c" -lbpf

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

"$work/loop" 2000 >/dev/null # warm up
off=() on=()
for ((r = 0; r < runs; r++)); do
  off+=("$("$work/loop" "$connects")")
  "$work/attach" "$object" >"$work/attached" &
  loader_pid=$!
  for _ in $(seq 300); do grep -q attached "$work/attached" 2>/dev/null && break; sleep 0.1; done
  grep -q attached "$work/attached" || { echo "could not attach $object" >&2; exit 1; }
  on+=("$("$work/loop" "$connects")")
  kill "$loader_pid"; wait "$loader_pid" 2>/dev/null || true; loader_pid=
  read -r _ cnt ns < <(grep '^stats' "$work/attached") || { cnt=0; ns=0; }
  runs_total=$((${runs_total:-0} + cnt)); ns_total=$((${ns_total:-0} + ns))
done
off_m=$(printf '%s\n' "${off[@]}" | median)
on_m=$(printf '%s\n' "${on[@]}" | median)
echo "kernel: $(uname -r), cpus: $(nproc), connects per run: $connects, runs: $runs"
echo "off (ns per connect+accept+close): ${off[*]}"
echo "on  (ns per connect+accept+close): ${on[*]}"
awk -v off="$off_m" -v on="$on_m" 'BEGIN {
  printf "median without programs: %d ns, with: %d ns, overhead: %d ns per connection (%.1f%%)\n", off, on, on - off, (on - off) * 100 / off }'
# Only the program's own time, measured by the kernel (excludes the tracepoint's dispatch).
awk -v n="$runs_total" -v ns="$ns_total" -v c="$((connects * runs))" 'BEGIN {
  if (n > 0) printf "program runs: %d (%.1f per connection), %.0f ns per run, %.0f ns per connection\n", n, n / c, ns / n, ns / c }'
