#!/usr/bin/env python3
"""Opens the socket mix the inventory tests compare against `ss`, then waits.

Run inside a test's network namespace: `host_sockets.py <ipv4-on-wg-faas> <ipv6-on-wg-faas>`.
Prints one line `ready <json>` (ports and pids it made) once every socket is in place, and
exits when stdin closes. Every process it forks exits with it.
"""
import ctypes, json, os, signal, socket, sys, time

v4, v6 = sys.argv[1], sys.argv[2]
HOSTILE = b'we"ird\\nm'  # quote and backslash; comm holds at most 15 bytes
pids = {"main": os.getpid()}
keep = []


def listener(family, addr, port, v6only=None):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
    s.bind((addr, port))
    s.listen(64)
    keep.append(s)
    return s


def pair(srv, family, addr, port):
    c = socket.socket(family, socket.SOCK_STREAM)
    c.connect((addr, port))
    a, _ = srv.accept()
    keep.extend([c, a])
    return c, a


# Plain listeners on the tun link, IPv4 and IPv6, each with an established pair.
l4 = listener(socket.AF_INET, v4, 8080)
pair(l4, socket.AF_INET, v4, 8080)
l6 = listener(socket.AF_INET6, v6, 8443)
pair(l6, socket.AF_INET6, v6, 8443)

# Dual-stack listener with IPv4 clients: the accepted sockets see ::ffff:a.b.c.d.
ds = listener(socket.AF_INET6, "::", 9000, v6only=0)
pair(ds, socket.AF_INET, "127.0.0.1", 9000)
pair(ds, socket.AF_INET, v4, 9000)

# TIME_WAIT: the client closes first, so its side lingers with inode 0 and no owner.
tw = listener(socket.AF_INET, "127.0.0.1", 7000)
c, a = pair(tw, socket.AF_INET, "127.0.0.1", 7000)
keep.remove(c)
c.close()
time.sleep(0.05)
keep.remove(a)
a.close()

# A DNS-stub-like UDP socket on 127.0.0.53, a client connected to it, an unconnected one,
# and one bound to the tun device with SO_BINDTODEVICE.
stub = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
stub.bind(("127.0.0.53", 53))
cu = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
cu.connect(("127.0.0.53", 53))
uu = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
uu.bind(("::", 5353))
bd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
bd.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"wg-faas")
bd.bind(("0.0.0.0", 6000))
keep.extend([stub, cu, uu, bd])

# A listener shared by two processes (as after fork or socket activation).
shared = listener(socket.AF_INET, "0.0.0.0", 9100)
r, w = os.pipe()
child = os.fork()
if child == 0:
    os.close(w)
    for s in keep:
        if s is not shared:
            s.close()
    os.read(r, 1)  # blocks until the parent exits and the pipe closes
    os._exit(0)
pids["shared_child"] = child

# A process with a hostile name holding its own listener.
r2, w2 = os.pipe()
hostile = os.fork()
if hostile == 0:
    os.close(w2)
    for s in keep:
        s.close()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(15, ctypes.c_char_p(HOSTILE), 0, 0, 0)  # PR_SET_NAME
    h = listener(socket.AF_INET, "127.0.0.1", 9200)
    os.read(r2, 1)
    os._exit(0)
pids["hostile"] = hostile

# Wait until the hostile child has renamed itself and listens.
for _ in range(200):
    with open(f"/proc/{hostile}/comm", "rb") as f:
        if f.read().rstrip(b"\n") == HOSTILE:
            break
    time.sleep(0.01)
time.sleep(0.1)

print("ready " + json.dumps({"pids": pids, "hostile_name": HOSTILE.decode()}), flush=True)
sys.stdin.read()
