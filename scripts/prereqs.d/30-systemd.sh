# Sourced by scripts/test.sh as root. The systemd integration tests run the host's
# systemd-socket-activate (from the systemd package; systemd need not be PID 1) and stat(1)
# from coreutils. Installed systemd is never upgraded here: require_packages only adds what is missing.
require_packages systemd coreutils
