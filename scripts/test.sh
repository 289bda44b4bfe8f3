#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian 12 machine of this kind, as root.
# Installs what the tests need (Debian packages), builds, runs every tier, and ends with
# one line: "N passed, N failed, N skipped". With CI=true a skipped test counts as failed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every file in scripts/prereqs.d installs what one tier of tests needs (idempotent, fast
# when already done); each may call require_packages.
apt_updated=
require_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
    return 0
  fi
  echo "test.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$apt_updated" ] || { apt-get update -qq >&2; apt_updated=1; }
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
for prereq in scripts/prereqs.d/*.sh; do
  # shellcheck source=/dev/null
  . "$prereq"
done

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
set +e
dotnet test tests/ConnExporter.Tests -c Release --nologo \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "$@"
status=$?
set -e

trx="$results/results.trx"
if [ ! -f "$trx" ]; then
  echo "test.sh: the test run produced no results (build failure?)" >&2
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
read -r passed failed skipped < <(python3 - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
c = ET.parse(sys.argv[1]).getroot().find("t:ResultSummary/t:Counters", ns)
passed, failed = int(c.get("passed")), int(c.get("failed")) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
skipped = int(c.get("total")) - passed - failed
print(passed, failed, skipped)
PY
)
if [ "${CI:-}" = "true" ] && [ "$skipped" -gt 0 ]; then
  echo "test.sh: CI=true: $skipped skipped test(s) count as failures" >&2
  failed=$((failed + skipped))
  skipped=0
fi
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ]; then exit 1; fi
