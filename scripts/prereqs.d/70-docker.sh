# Sourced by scripts/test.sh as root. The container tier (tests/ConnExporter.Tests/Deployment/
# ContainerImageTests) builds deploy/docker/Dockerfile and runs the image:
#
# - docker.io: Debian's Docker Engine (dockerd, containerd, runc). The machine image may carry
#   a newer docker client in /usr/local/bin; it talks to this daemon through API negotiation.
# - mmdebstrap (also in 40-systemd-e2e.sh): the tests make their own Debian base image, since no
#   container registry is reachable from the project's machines.
#
# systemd is not PID 1 on these machines, so the package's docker.service does not start:
# start dockerd here when no daemon answers, and wait for it.
# - podman (with jq): runs the same image with CAP_BPF and CAP_PERFMON, which Docker 20.10
#   does not know, under the runtime's default seccomp profile and under docs/kubernetes.md's
#   recipe for one that allows bpf(2) (jq edits the default profile).
require_packages docker.io mmdebstrap ca-certificates podman jq
if [ "$(id -u)" -eq 0 ] && command -v dockerd >/dev/null && ! docker info >/dev/null 2>&1; then
  mkdir -p /var/log/conn-exporter-tests
  setsid dockerd >/var/log/conn-exporter-tests/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "test.sh: dockerd did not start; see /var/log/conn-exporter-tests/dockerd.log" >&2; tail -5 /var/log/conn-exporter-tests/dockerd.log >&2; }
fi
