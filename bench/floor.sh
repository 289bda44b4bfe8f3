#!/usr/bin/env bash
# The floor under the command benchmark (root): in a namespace of 10k TCP sockets, how long the
# kernel's dump of both families takes from a C program (bench/floor/sockdiag_dump.c) and how long
# our executable takes to start (--version), beside `ss -tan`. Prints medians; writes nothing.
# Usage: bench/floor.sh [SOCKETS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "floor.sh: run as root (network namespaces)" >&2; exit 1; }
for cmd in gcc ip ss python3 dotnet; do
  command -v "$cmd" >/dev/null || { echo "floor.sh: $cmd is missing" >&2; exit 1; }
done
out=bench/.build/floor
mkdir -p "$out"
gcc -O2 -pthread -o "$out/sockdiag_dump" bench/floor/sockdiag_dump.c
dotnet publish src/ConnExporter -c Release -o bench/.build/aot --nologo -v quiet >&2
exec python3 bench/floor.py --binary bench/.build/aot/conn-exporter --dump "$out/sockdiag_dump" --sockets "${1:-10000}"
