#!/bin/sh
# /usr/bin/conn-exporter for a framework-dependent build (-p:PublishAot=false) in
# /usr/lib/conn-exporter: starts it on the host's .NET runtime (ASP.NET Core shared framework
# 10.0). The shipped Native AOT build needs no wrapper (install.sh links the executable); given
# one, this execs it directly. exec keeps the PID, so systemd's Type=notify/NotifyAccess=main
# and the OpenRC/runit supervisors see the daemon itself.
app=${CONN_EXPORTER_HOME:-/usr/lib/conn-exporter}
if [ ! -e "$app/conn-exporter.dll" ] && [ -x "$app/conn-exporter" ]; then exec "$app/conn-exporter" "$@"; fi
if [ -z "${DOTNET_ROOT:-}" ]; then
  # Microsoft's packages and tarballs use /usr/share/dotnet (or /usr/lib/dotnet on Ubuntu's
  # source-built packages); /etc/dotnet/install_location is what the apphost itself reads.
  for d in "$(cat /etc/dotnet/install_location 2>/dev/null)" /usr/lib/dotnet /usr/share/dotnet /usr/local/share/dotnet; do
    if [ -n "$d" ] && [ -x "$d/dotnet" ]; then DOTNET_ROOT=$d; break; fi
  done
fi
if [ -z "${DOTNET_ROOT:-}" ]; then
  echo "conn-exporter: no .NET runtime found (install aspnetcore-runtime-10.0 or set DOTNET_ROOT)" >&2
  exit 127
fi
export DOTNET_ROOT
# The apphost makes the process name "conn-exporter" (ps, journal, our own owner metrics).
if [ -x "$app/conn-exporter" ]; then exec "$app/conn-exporter" "$@"; fi
exec "$DOTNET_ROOT/dotnet" "$app/conn-exporter.dll" "$@"
