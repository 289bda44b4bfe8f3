#!/usr/bin/env bash
# Conntrack benchmark (root): publishes the shipped Native AOT binary, then bench/conntrack.py
# measures what --conntrack adds to `conn-exporter connections` at 1k, 5k and 10k destination-
# NATed connections (an iptables DNAT rule in a namespace of its own), against `ss -tan` in the
# same rounds, and rewrites its section of bench/RESULTS.md. Options pass through (--no-write).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "conntrack.sh: run as root (network namespaces, iptables)" >&2; exit 1; }
for cmd in ip ss iptables python3 dotnet; do
  command -v "$cmd" >/dev/null || { echo "conntrack.sh: $cmd is missing" >&2; exit 1; }
done
out=bench/.build/aot
dotnet publish src/ConnExporter -c Release -o "$out" --nologo -v quiet >&2
exec python3 bench/conntrack.py --binary "$out/conn-exporter" "$@"
