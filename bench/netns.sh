#!/usr/bin/env bash
# Network-namespace benchmark (root): publishes the shipped Native AOT binary, then
# bench/netns.py times reading every namespace through procfs and through netlink (setns)
# against one `nsenter ... ss` per namespace, and rewrites its section of bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "netns.sh: run as root (network namespaces, setns)" >&2; exit 1; }
out=bench/.build/aot
dotnet publish src/ConnExporter -c Release -o "$out" --nologo -v quiet >&2
exec python3 bench/netns.py --binary "$out/conn-exporter" "$@"
