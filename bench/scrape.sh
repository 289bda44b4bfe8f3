#!/usr/bin/env bash
# Scrape benchmark (root): builds the exporter in Release, installs Debian's
# prometheus-node-exporter if missing (it must not keep running as a service on the host),
# then bench/scrape.py scrapes both inside a namespace and rewrites bench/RESULTS.md.
# Options pass through, e.g. bench/scrape.sh --sizes 10000,40000 --aot --variant 'gen0:DOTNET_GCgen0size=0x400000'
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "scrape.sh: run as root (network namespaces, /proc/*/fd)" >&2; exit 1; }
for cmd in ip ss python3 dotnet curl; do
  command -v "$cmd" >/dev/null || { echo "scrape.sh: $cmd is missing" >&2; exit 1; }
done
if ! dpkg-query -W -f='${Status}' prometheus-node-exporter 2>/dev/null | grep -q "install ok installed"; then
  echo "scrape.sh: installing prometheus-node-exporter" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends prometheus-node-exporter >&2
  # The package starts a host-wide service on :9100; the benchmark runs its own copy.
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus-node-exporter 2>/dev/null; then
    systemctl stop prometheus-node-exporter >/dev/null 2>&1 || true
  fi
fi
dotnet build src/ConnExporter -c Release --nologo -v quiet >&2
# --aot: also the shipped Native AOT executable, published here.
for a in "$@"; do
  if [ "$a" = --aot ]; then
    dotnet publish src/ConnExporter -c Release -o bench/.build/aot --nologo -v quiet >&2
    set -- "${@/#--aot/--aot=bench/.build/aot/conn-exporter}"
    break
  fi
done
exec python3 bench/scrape.py "$@"
