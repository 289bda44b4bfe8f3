#!/usr/bin/env bash
# Inventory benchmark (root): builds Release, then bench/inventory.py times our inventory
# against `ss -tan` / `ss -tanp` inside a namespace and rewrites bench/RESULTS.md.
# Options pass through, e.g. bench/inventory.sh --sizes 10000,40000 --no-write
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "inventory.sh: run as root (network namespaces, /proc/*/fd)" >&2; exit 1; }
for cmd in ip ss python3 dotnet; do
  command -v "$cmd" >/dev/null || { echo "inventory.sh: $cmd is missing" >&2; exit 1; }
done
dotnet build bench/ConnExporter.Bench -c Release --nologo -v quiet >&2
exec python3 bench/inventory.py "$@"
