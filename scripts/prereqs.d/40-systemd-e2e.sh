# Sourced by scripts/test.sh as root. What the end-to-end tier (tests/ConnExporter.Tests/EndToEnd)
# needs to run the shipped unit files under a real systemd and the OpenRC/runit scripts:
#
# - mmdebstrap: builds the minbase Debian rootfs the containers boot (the tests cache it as a
#   tarball under /var/cache/conn-exporter-tests and rebuild it when its package list changes).
# - systemd-nspawn, WITHOUT installing systemd-container: that package pins the host's systemd
#   to its own version and would upgrade it. We download the .deb of exactly the host's systemd
#   version and unpack it with dpkg-deb -x into the cache; the binary finds the host's
#   libsystemd-shared of the same version through its RUNPATH.
# - runit: only runsv/sv are needed, and they are relocatable: unpacked, not installed (the
#   package's maintainer scripts would set up /etc/service and a runit-log user on the host).
# - openrc: rc-service/openrc-run have their paths compiled in, so it is installed. Checked
#   with `apt-get install -s openrc`: it adds insserv, librc1, libeinfo1 and removes or replaces
#   nothing (the host's init stays; openrc's postinst only writes /etc/runlevels).
# - dpkg-dev is not needed: packaging/build-deb.sh uses dpkg-deb only.
require_packages mmdebstrap openrc util-linux curl

e2e_tools=/var/cache/conn-exporter-tests/tools
e2e_unpack() { # package version -> $e2e_tools/<package>-<version>/
  local pkg=$1 ver=$2 dir="$e2e_tools/$1-$2"
  [ -f "$dir/.complete" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: $pkg $ver is not unpacked in $e2e_tools (run as root)" >&2
    return 0
  fi
  local tmp
  tmp=$(mktemp -d)
  # A root-only temporary directory: download as root rather than as apt's sandbox user.
  if ! (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$ver" >&2); then
    [ -n "$apt_updated" ] || { apt-get update -qq >&2; apt_updated=1; }
    (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$ver" >&2)
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  dpkg-deb -x "$tmp"/*.deb "$dir"
  rm -rf "$tmp"
  touch "$dir/.complete"
}
e2e_systemd_version=$(dpkg-query -W -f='${Version}' systemd 2>/dev/null || true)
if [ -n "$e2e_systemd_version" ]; then
  e2e_unpack systemd-container "$e2e_systemd_version"
fi
e2e_unpack runit "$(apt-cache policy runit 2>/dev/null | awk '/Candidate:/ {print $2}')"
unset -f e2e_unpack
unset e2e_tools e2e_systemd_version
