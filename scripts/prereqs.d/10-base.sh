# Sourced by scripts/test.sh as root. Debian packages the base tests use:
# iproute2 (ip netns, ss: the ground truth), python3 (scenario processes holding sockets),
# curl, prometheus (promtool and a real server scraping us), python3-prometheus-client (an
# independent OpenMetrics parser).
require_packages iproute2 python3 curl prometheus python3-prometheus-client
# The Debian prometheus package may start a server on :9090; tests start their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl stop prometheus >/dev/null 2>&1 || true
fi
