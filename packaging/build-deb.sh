#!/bin/sh
# Builds conn-exporter_<version>_<arch>.deb with dpkg-deb alone (no debhelper needed).
#
#   packaging/build-deb.sh [--from DIR] [--output DIR] [--version VERSION]
#
#   --from DIR      a build (dotnet publish output: Native AOT, or framework-dependent); the AOT
#                   one is published when omitted
#   --output DIR    where the .deb goes (default: the current directory); its path is printed
#   --version V     package version (default: <Version> of src/ConnExporter/ConnExporter.csproj)
#
# The file layout is packaging/install.sh's (it stages the tree). The maintainer scripts are
# what dh_installsystemd and dh_installsysusers generate: postinst creates the optional system
# user, enables and (re)starts conn-exporter.service; prerm stops every unit of the package on
# removal; postrm masks on remove and purges the enablement state on purge.
#
# Depends, for the shipped Native AOT build: libc6, libbpf1, libssl3 | libssl1.1. The executable
# links libc and libm alone (zlib is built in); it dlopens libssl for TLS (--web.config.file)
# and libbpf.so.1, the eBPF collector's loader (Debian 12 and Ubuntu 22.04 on; without it that
# collector alone is off). No .NET runtime is needed.
# For a framework-dependent build (-p:PublishAot=false) instead: aspnetcore-runtime-10.0
# (Kestrel's shared framework; Microsoft's feed and Ubuntu's archive name it so), libbpf1. Where
# .NET was installed from a tarball (no package), install that one with `dpkg -i --force-depends`
# and set DOTNET_ROOT if it is not in a standard place.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
from= output=$(pwd) version=
while [ $# -gt 0 ]; do
  case $1 in
    --from) from=$2; shift 2 ;;
    --from=*) from=${1#*=}; shift ;;
    --output) output=$2; shift 2 ;;
    --output=*) output=${1#*=}; shift ;;
    --version) version=$2; shift 2 ;;
    --version=*) version=${1#*=}; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    *) echo "build-deb.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [ -z "$version" ]; then
  version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$src/src/ConnExporter/ConnExporter.csproj" | head -n 1)
fi
[ -n "$version" ] || { echo "build-deb.sh: no version found; give --version" >&2; exit 2; }
arch=$(dpkg --print-architecture)
mkdir -p "$output"
output=$(cd "$output" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkg=$work/pkg
if [ -n "$from" ]; then
  "$here/install.sh" --root "$pkg" --init systemd --from "$from"
else
  "$here/install.sh" --root "$pkg" --init systemd
fi
if [ -f "$pkg/usr/lib/conn-exporter/conn-exporter.dll" ]; then
  depends="aspnetcore-runtime-10.0, libbpf1"
else
  depends="libc6, libbpf1, libssl3 | libssl1.1"
fi
install -D -m 0644 "$src/README.md" "$pkg/usr/share/doc/conn-exporter/README.md"
[ -f "$src/docs/deployment.md" ] && install -D -m 0644 "$src/docs/deployment.md" "$pkg/usr/share/doc/conn-exporter/deployment.md"

mkdir -p "$pkg/DEBIAN"
installed_size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<EOF
Package: conn-exporter
Version: $version
Architecture: $arch
Maintainer: conn-exporter maintainers <conn-exporter@localhost>
Installed-Size: $installed_size
Depends: $depends
Section: net
Priority: optional
Homepage: https://github.com/bjin01/conn-exporter
Description: Prometheus exporter of network connections
 Reports every TCP and UDP socket of the host with its state, endpoints, interface,
 owning processes and systemd unit as bounded Prometheus metrics, and lists them with
 the conn-exporter connections command. Runs as a hardened systemd service (DynamicUser, only the
 capabilities its collectors need) or socket-activated on port 9811.
EOF

# The units the package ships. Only the first is enabled on installation; the others are
# alternatives an administrator may enable, so their state is purged too.
all_units="conn-exporter.service conn-exporter-inventory.service conn-exporter-root.service conn-exporter.socket conn-exporter-https.socket"
quoted_units=$(for u in $all_units; do printf "'%s' " "$u"; done)

cat > "$pkg/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
# dh_installsysusers: the optional fixed user (the units use DynamicUser=yes).
if [ "$1" = "configure" ] && command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers conn-exporter.conf || true
fi
# dh_installsystemd: enable on first installation, keep the administrator's choice on upgrades.
if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ] ; then
	# This will only remove masks created by d-s-h on package removal.
	deb-systemd-helper unmask 'conn-exporter.service' >/dev/null || true
	# was-enabled defaults to true, so new installations run enable.
	if deb-systemd-helper --quiet was-enabled 'conn-exporter.service'; then
		deb-systemd-helper enable 'conn-exporter.service' >/dev/null || true
	else
		deb-systemd-helper update-state 'conn-exporter.service' >/dev/null || true
	fi
fi
if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ] ; then
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		if [ -n "$2" ]; then
			_dh_action=restart
		else
			_dh_action=start
		fi
		# An administrator who enabled the socket instead gets the socket (re)started.
		if systemctl --quiet is-enabled conn-exporter.socket 2>/dev/null; then
			deb-systemd-invoke $_dh_action 'conn-exporter.socket' >/dev/null || true
		elif systemctl --quiet is-enabled conn-exporter.service 2>/dev/null; then
			deb-systemd-invoke $_dh_action 'conn-exporter.service' >/dev/null || true
		fi
	fi
fi
exit 0
EOF

cat > "$pkg/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
# dh_installsystemd: stop on removal (upgrades restart in postinst). Sockets first, or stopping
# the service would let a socket start it again.
if [ -d /run/systemd/system ] && [ "\$1" = remove ]; then
	deb-systemd-invoke stop 'conn-exporter.socket' 'conn-exporter-https.socket' >/dev/null || true
	deb-systemd-invoke stop 'conn-exporter.service' 'conn-exporter-inventory.service' 'conn-exporter-root.service' >/dev/null || true
fi
exit 0
EOF

cat > "$pkg/DEBIAN/postrm" <<EOF
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
# dh_installsystemd: a removed (not purged) package leaves its units masked...
if [ "\$1" = "remove" ]; then
	if [ -x "/usr/bin/deb-systemd-helper" ]; then
		deb-systemd-helper mask $quoted_units >/dev/null || true
	fi
fi
# ...and purge forgets every enablement and mask.
if [ "\$1" = "purge" ]; then
	if [ -x "/usr/bin/deb-systemd-helper" ]; then
		deb-systemd-helper purge $quoted_units >/dev/null || true
		deb-systemd-helper unmask $quoted_units >/dev/null || true
	fi
	rm -rf /etc/systemd/system/conn-exporter.service.d/10-install-user.conf
	rmdir /etc/systemd/system/conn-exporter.service.d 2>/dev/null || true
fi
exit 0
EOF
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/prerm" "$pkg/DEBIAN/postrm"

deb="$output/conn-exporter_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >&2
echo "$deb"
