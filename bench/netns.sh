#!/usr/bin/env bash
# Network-namespace benchmark (root): publishes the shipped Native AOT binary, builds this tree
# (JIT) and the last commit before namespaces (the host-only baseline), then bench/netns.py
# times whole scrapes and the command over many namespaces against `nsenter ... ss` loops, and
# the host-only scrape against the baseline; it rewrites its section of bench/RESULTS.md.
# NETNS_BASELINE picks another baseline commit.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "netns.sh: run as root (network namespaces, setns)" >&2; exit 1; }
baseline=${NETNS_BASELINE:-b881272}
out=bench/.build
dotnet publish src/ConnExporter -c Release -o "$out/aot" --nologo -v quiet >&2
dotnet build src/ConnExporter -c Release -p:PublishAot=false -o "$out/jit" --nologo -v quiet >&2
if [ ! -f "$out/baseline-$baseline/conn-exporter.dll" ]; then
    src=$(mktemp -d)
    git archive "$baseline" | tar -x -C "$src"
    dotnet build "$src/src/ConnExporter" -c Release -o "$out/baseline-$baseline" --nologo -v quiet >&2
    rm -rf "$src"
fi
exec python3 bench/netns.py --binary "$out/aot/conn-exporter" --jit "$out/jit/conn-exporter.dll" \
    --baseline "$out/baseline-$baseline/conn-exporter.dll" --baseline-commit "$baseline" "$@"
