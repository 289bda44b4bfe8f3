#!/usr/bin/env bash
# Auth benchmark (root: network namespaces): builds the exporter in Release, then bench/auth.py runs a
# brute force against basic auth (bcrypt cost 10) with the throttle off and on, while a valid
# client scrapes from another address, and rewrites its section of bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
for cmd in python3 dotnet; do
  command -v "$cmd" >/dev/null || { echo "auth.sh: $cmd is missing" >&2; exit 1; }
done
dotnet build src/ConnExporter -c Release --nologo -v quiet >&2
exec python3 bench/auth.py "$@"
