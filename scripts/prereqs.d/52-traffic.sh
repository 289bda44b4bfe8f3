# Sourced by scripts/test.sh as root. The eBPF traffic counters' tests provoke retransmits with
# an iptables DROP window inside a test network namespace: iptables (nf_tables backend), and
# nstat (iproute2, already in 10-base) as the kernel's own counters to compare with.
require_packages iptables
