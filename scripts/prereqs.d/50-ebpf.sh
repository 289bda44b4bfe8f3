# Sourced by scripts/test.sh as root. The eBPF collector's tests:
# libbpf1 (the loader the exporter P/Invokes), clang-14 + llvm-14 (llvm-strip) + libbpf-dev +
# linux-libc-dev (rebuild conn_events.bpf.c and compare with the committed object), bpftool
# (reads the object's BTF to check the C# struct layouts).
require_packages libbpf1 libbpf-dev clang-14 llvm-14 linux-libc-dev bpftool
# Nothing to mount: the program is a BTF raw tracepoint, typed by /sys/kernel/btf/vmlinux and
# attached with the bpf syscall alone (no tracefs).
