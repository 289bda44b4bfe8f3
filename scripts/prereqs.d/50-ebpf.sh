# Sourced by scripts/test.sh as root. The eBPF collector's tests:
# libbpf1 (the loader the exporter P/Invokes), clang-14 + llvm-14 (llvm-strip) + libbpf-dev +
# linux-libc-dev (rebuild conn_events.bpf.c and compare with the committed object), bpftool
# (reads the object's BTF to check the C# struct layouts).
require_packages libbpf1 libbpf-dev clang-14 llvm-14 linux-libc-dev bpftool
# libbpf reads tracepoint ids from tracefs; the collector mounts it itself when it may, but a
# mounted tracefs keeps the tests independent of that.
if [ "$(id -u)" -eq 0 ] && [ -d /sys/kernel/tracing ] && [ ! -d /sys/kernel/tracing/events ]; then
  mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
fi
