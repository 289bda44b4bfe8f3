#!/bin/sh
# Installs conn-exporter on this host (or into a staging root), idempotently.
#
#   packaging/install.sh [--from DIR] [--init systemd|openrc|runit] [--variant default|inventory|root]
#                        [--socket] [--user] [--root DIR] [--no-enable]
#   packaging/install.sh --uninstall [--root DIR]
#
#   --from DIR     a build: `dotnet publish src/ConnExporter -c Release -o DIR` (the Native AOT
#                  executable, what is shipped) or, with -p:PublishAot=false, a framework-dependent
#                  build; without it the script publishes the AOT one when it runs from a source
#                  tree with the SDK (and clang, which the AOT compiler links with).
#   --init         which service manager to install for (default: systemd when it is PID 1, else
#                  openrc when rc-service exists, else runit when runsv exists, else systemd).
#   --variant      systemd only: which unit to enable (conn-exporter, -inventory or -root.service).
#   --socket       systemd only: enable conn-exporter.socket (socket activation) instead of the
#                  service: the exporter starts on the first scrape.
#   --user         create the fixed system user conn-exporter (sysusers.d) and run as it: a
#                  drop-in for systemd, the user of the OpenRC/runit scripts (they need one).
#   --root DIR     install into DIR instead of / (packaging); enables and starts nothing.
#   --no-enable    install files only.
#
# Layout (the same as the .deb's, see packaging/build-deb.sh):
#   /usr/lib/conn-exporter/         the build: the native executable conn-exporter (or the apphost
#                                   conn-exporter, conn-exporter.dll, ... of a framework-dependent build)
#   /usr/bin/conn-exporter          a symbolic link to the native executable (or, for a
#                                   framework-dependent build, a wrapper that finds the .NET runtime)
#   /usr/lib/systemd/system/        conn-exporter{,-inventory,-root}.service, conn-exporter{,-https}.socket
#   /usr/lib/sysusers.d/conn-exporter.conf
#   /usr/share/conn-exporter/       the OpenRC and runit scripts
#   /etc/init.d/conn-exporter, /etc/conf.d/conn-exporter       (--init openrc)
#   /etc/sv/conn-exporter/run, /etc/service/conn-exporter      (--init runit)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
from= init= variant=default socket= user= root= enable=1 uninstall=

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --from) from=$2; shift 2 ;;
    --from=*) from=${1#*=}; shift ;;
    --init) init=$2; shift 2 ;;
    --init=*) init=${1#*=}; shift ;;
    --variant) variant=$2; shift 2 ;;
    --variant=*) variant=${1#*=}; shift ;;
    --socket) socket=1; shift ;;
    --user) user=1; shift ;;
    --root) root=$2; shift 2 ;;
    --root=*) root=${1#*=}; shift ;;
    --no-enable) enable=; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) usage ;;
    *) echo "install.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
case $variant in
  default) unit=conn-exporter.service ;;
  inventory|root) unit=conn-exporter-$variant.service ;;
  *) echo "install.sh: --variant must be default, inventory or root" >&2; exit 2 ;;
esac
if [ -n "$root" ]; then
  root=$(mkdir -p "$root" && cd "$root" && pwd)
  enable=
fi

# A running systemd is what `systemctl` needs; a staging root or a container build has none.
systemd_running() { [ -z "$root" ] && [ -d /run/systemd/system ]; }
if [ -z "$init" ]; then
  if [ -n "$root" ] || systemd_running; then init=systemd
  elif command -v rc-service >/dev/null 2>&1; then init=openrc
  elif command -v runsv >/dev/null 2>&1; then init=runit
  else init=systemd
  fi
fi
case $init in systemd|openrc|runit) ;; *) echo "install.sh: --init must be systemd, openrc or runit" >&2; exit 2 ;; esac

lib=$root/usr/lib/conn-exporter
unitdir=$root/usr/lib/systemd/system
dropin=$root/etc/systemd/system/conn-exporter.service.d/10-install-user.conf
units="conn-exporter.service conn-exporter-inventory.service conn-exporter-root.service conn-exporter.socket conn-exporter-https.socket"

say() { echo "install.sh: $*" >&2; }

if [ -n "$uninstall" ]; then
  if systemd_running; then
    # Sockets first, or stopping the service lets a socket start it again.
    systemctl disable --now conn-exporter.socket conn-exporter-https.socket >/dev/null 2>&1 || true
    systemctl disable --now conn-exporter.service conn-exporter-inventory.service conn-exporter-root.service >/dev/null 2>&1 || true
  fi
  if [ -z "$root" ] && [ -e /etc/init.d/conn-exporter ] && command -v rc-service >/dev/null 2>&1; then
    rc-service conn-exporter stop >/dev/null 2>&1 || true
    rc-update del conn-exporter default >/dev/null 2>&1 || true
  fi
  if [ -L "$root/etc/service/conn-exporter" ]; then
    rm -f "$root/etc/service/conn-exporter"
    # runsvdir notices the link is gone and stops runsv; stop the daemon itself now.
    [ -z "$root" ] && command -v sv >/dev/null 2>&1 && sv -w 10 down /etc/sv/conn-exporter >/dev/null 2>&1 || true
  fi
  for u in $units; do rm -f "$unitdir/$u"; done
  rm -f "$dropin"
  rmdir "$root/etc/systemd/system/conn-exporter.service.d" 2>/dev/null || true
  rm -rf "$lib" "$root/usr/share/conn-exporter" "$root/etc/sv/conn-exporter"
  rm -f "$root/usr/bin/conn-exporter" "$root/usr/lib/sysusers.d/conn-exporter.conf" \
        "$root/etc/init.d/conn-exporter" "$root/etc/conf.d/conn-exporter"
  systemd_running && systemctl daemon-reload
  say "removed (a conn-exporter system user, if one was created, is kept: remove it with userdel)"
  exit 0
fi

# --- the build ---------------------------------------------------------------------------------
if [ -z "$from" ]; then
  if [ -f "$src/src/ConnExporter/ConnExporter.csproj" ] && command -v dotnet >/dev/null 2>&1; then
    from=$(mktemp -d)
    trap 'rm -rf "$from"' EXIT
    say "publishing src/ConnExporter (Release) to $from"
    dotnet publish "$src/src/ConnExporter" -c Release -o "$from" --nologo -v q >&2
  else
    echo "install.sh: give --from DIR (the output of dotnet publish)" >&2
    exit 2
  fi
fi
# A native (AOT) build is one ELF executable; a framework-dependent one has conn-exporter.dll.
if [ -f "$from/conn-exporter.dll" ]; then
  native=
elif [ -f "$from/conn-exporter" ] && [ "$(head -c 4 "$from/conn-exporter" | od -An -c | tr -d ' ')" = '177ELF' ]; then
  native=1
else
  echo "install.sh: $from has neither the native conn-exporter executable nor conn-exporter.dll: --from must be a dotnet publish output" >&2
  exit 2
fi

# Replace the build as a whole: files of an older version must not linger beside the new one.
stage=$(mktemp -d "${TMPDIR:-/tmp}/conn-exporter-lib.XXXXXX")
cp -R "$from/." "$stage/"
rm -f "$stage"/*.pdb "$stage"/*.dbg
chmod -R u=rwX,go=rX "$stage"
mkdir -p "$(dirname "$lib")"
rm -rf "$lib.old"
[ -d "$lib" ] && mv "$lib" "$lib.old"
# cp rather than mv: $stage may be on another file system than $root.
cp -R "$stage" "$lib" && rm -rf "$stage" "$lib.old"
mkdir -p "$root/usr/bin"
rm -f "$root/usr/bin/conn-exporter"
if [ -n "$native" ]; then
  # No wrapper: the executable itself, so `conn-exporter connections` starts in milliseconds.
  ln -s ../lib/conn-exporter/conn-exporter "$root/usr/bin/conn-exporter"
else
  install -m 0755 "$here/conn-exporter.sh" "$root/usr/bin/conn-exporter"
fi
for u in $units; do install -D -m 0644 "$src/deploy/systemd/$u" "$unitdir/$u"; done
install -D -m 0644 "$src/deploy/sysusers.d/conn-exporter.conf" "$root/usr/lib/sysusers.d/conn-exporter.conf"
install -D -m 0755 "$src/deploy/openrc/conn-exporter" "$root/usr/share/conn-exporter/openrc/init.d/conn-exporter"
install -D -m 0644 "$src/deploy/openrc/conn-exporter.confd" "$root/usr/share/conn-exporter/openrc/conf.d/conn-exporter"
install -D -m 0755 "$src/deploy/runit/conn-exporter/run" "$root/usr/share/conn-exporter/runit/conn-exporter/run"
install -D -m 0644 "$src/deploy/runit/conn-exporter/conf" "$root/usr/share/conn-exporter/runit/conn-exporter/conf"
say "installed the build in $lib and /usr/bin/conn-exporter"

# --- the user ----------------------------------------------------------------------------------
if [ -n "$user" ] && [ -z "$root" ]; then
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers /usr/lib/sysusers.d/conn-exporter.conf
  elif ! getent passwd conn-exporter >/dev/null; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin conn-exporter
  fi
fi

# --- the service manager -----------------------------------------------------------------------
case $init in
systemd)
  if [ -n "$user" ]; then
    mkdir -p "$(dirname "$dropin")"
    printf '%s\n' "# Written by packaging/install.sh --user: run as the fixed system user." \
      "[Service]" "User=conn-exporter" "Group=conn-exporter" > "$dropin"
  else
    rm -f "$dropin"
  fi
  if ! systemd_running; then
    [ -n "$root" ] || say "systemd is not running: units installed, nothing enabled"
    exit 0
  fi
  systemctl daemon-reload
  [ -n "$enable" ] || exit 0
  if [ -n "$socket" ]; then
    [ "$variant" = default ] || { echo "install.sh: --socket starts conn-exporter.service; use a drop-in on the socket (Service=) for other variants" >&2; exit 2; }
    systemctl enable --now conn-exporter.socket >&2
    say "listening through conn-exporter.socket; the service starts on the first connection"
  else
    systemctl enable "$unit" >&2
    # restart, not start: a re-install must run the new build.
    systemctl restart "$unit"
    say "$unit enabled and (re)started"
  fi
  ;;
openrc)
  install -D -m 0755 "$src/deploy/openrc/conn-exporter" "$root/etc/init.d/conn-exporter"
  # The administrator's settings survive a re-install.
  [ -e "$root/etc/conf.d/conn-exporter" ] || install -D -m 0644 "$src/deploy/openrc/conn-exporter.confd" "$root/etc/conf.d/conn-exporter"
  if [ -n "$enable" ]; then
    rc-update add conn-exporter default >&2
    # restart, not start: a re-install must run the new build.
    rc-service conn-exporter restart >&2
  fi
  ;;
runit)
  install -D -m 0755 "$src/deploy/runit/conn-exporter/run" "$root/etc/sv/conn-exporter/run"
  [ -e "$root/etc/sv/conn-exporter/conf" ] || install -D -m 0644 "$src/deploy/runit/conn-exporter/conf" "$root/etc/sv/conn-exporter/conf"
  if [ -n "$enable" ]; then
    mkdir -p /etc/service
    ln -sfn /etc/sv/conn-exporter /etc/service/conn-exporter
    command -v sv >/dev/null 2>&1 && sv restart /etc/sv/conn-exporter >/dev/null 2>&1 || true
  fi
  ;;
esac
