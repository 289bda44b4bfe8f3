#!/usr/bin/env bash
# Whole-command benchmark (root): publishes the shipped Native AOT binary (dotnet publish -c
# Release src/ConnExporter), then bench/command.py times `conn-exporter connections` against
# `ss` as a user runs them, output to a pipe, and rewrites its section of bench/RESULTS.md.
# Options pass through, e.g. bench/command.sh --sizes 10000,40000 --no-write
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "command.sh: run as root (network namespaces, /proc/*/fd)" >&2; exit 1; }
for cmd in ip ss python3 dotnet; do
  command -v "$cmd" >/dev/null || { echo "command.sh: $cmd is missing" >&2; exit 1; }
done
out=bench/.build/aot
dotnet publish src/ConnExporter -c Release -o "$out" --nologo -v quiet >&2
dotnet build src/ConnExporter -c Release --nologo -v quiet >&2
exec python3 bench/command.py --binary "$out/conn-exporter" "$@"
