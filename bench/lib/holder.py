#!/usr/bin/env python3
"""Holds established TCP loopback pairs and one listener for the benchmarks, then waits.

Usage (inside the benchmark's network namespace):
    holder.py SOCKETS FAMILY PORT READY_FILE [CONNECT_HOST:CONNECT_PORT]
FAMILY is 4 (127.0.0.1) or 6 (::1). Opens one listener on PORT and (SOCKETS-1)//2
connected pairs to it (the clients connect to CONNECT_HOST:CONNECT_PORT instead when given: an
address a DNAT rule sends to the listener) (both ends stay open in this process, so every socket has an owner),
writes READY_FILE as JSON once everything is in place, and exits on SIGTERM/SIGINT or when
its parent goes away (so a killed benchmark leaves no holders behind).
"""
import json, os, resource, signal, socket, sys, time

sockets, family, port, ready = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
connect_to = sys.argv[5].rsplit(":", 1) if len(sys.argv) > 5 else None

# Root's hard limit here is 20000 open files per process and cannot be raised (no
# CAP_SYS_RESOURCE); the soft limit can be raised up to it.
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if sockets + 64 > hard:
    sys.exit(f"holder: {sockets} sockets exceed the open-file hard limit {hard}")
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

af, addr = (socket.AF_INET, "127.0.0.1") if family == "4" else (socket.AF_INET6, "::1")
keep = []
srv = socket.socket(af, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((addr, port))
srv.listen(4096)
keep.append(srv)
for _ in range((sockets - 1) // 2):
    c = socket.socket(af, socket.SOCK_STREAM)
    c.connect((connect_to[0], int(connect_to[1])) if connect_to else (addr, port))
    a, _ = srv.accept()
    keep.extend((c, a))

tmp = ready + ".tmp"
with open(tmp, "w") as f:
    json.dump({"pid": os.getpid(), "sockets": len(keep), "family": family, "port": port}, f)
os.replace(tmp, ready)

parent = os.getppid()
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    while os.getppid() == parent:
        time.sleep(0.5)
except KeyboardInterrupt:
    pass
