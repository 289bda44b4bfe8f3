#!/usr/bin/env bash
# Web UI benchmark (root): builds the exporter in Release, then bench/webui.py loads the
# /connections page in Debian's headless chromium against 10k and 40k sockets and rewrites its
# section of bench/RESULTS.md. Options pass through, e.g. bench/webui.sh --sizes 40000 --rounds 3
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "webui.sh: run as root (network namespaces, /proc/*/fd)" >&2; exit 1; }
for cmd in ip ss python3 dotnet curl chromium; do
  command -v "$cmd" >/dev/null || { echo "webui.sh: $cmd is missing (chromium: scripts/prereqs.d/80-chromium.sh)" >&2; exit 1; }
done
dotnet build src/ConnExporter -c Release --nologo -v quiet >&2
exec python3 bench/webui.py "$@"
