#!/usr/bin/env python3
"""Captures the procfs fixtures beside this script from a fresh network namespace.

Run as root:  ip netns add cap && ip -n cap link set lo up \
  && ip -n cap tuntap add dev wg-faas mode tun && ip -n cap link set wg-faas up \
  && ip -n cap addr add 10.7.0.1/24 dev wg-faas \
  && ip -n cap addr add fd00:faa5:0:100::1/64 dev wg-faas nodad \
  && ip netns exec cap python3 capture.py netns; ip netns del cap

Opens, inside the namespace: IPv4/IPv6 listeners, established pairs with unread data
(rx_queue), a dual-stack listener with an IPv4 client (v4-mapped rows in tcp6), a TIME_WAIT,
a listener owned by uid 65534, and bound/connected UDP on 127.0.0.53 and IPv6. Then copies
/proc/net/{tcp,tcp6,udp,udp6} and the output of ss for reference.
"""
import os, shutil, socket, subprocess, sys, time

out = sys.argv[1]
keep = []

def tcp_listen(family, addr, port, v6only=None):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
    s.bind((addr, port))
    s.listen(16)
    keep.append(s)
    return s

def pair(listener, family, addr, port, payload=b""):
    c = socket.socket(family, socket.SOCK_STREAM)
    c.connect((addr, port))
    a, _ = listener.accept()
    if payload:
        c.sendall(payload)   # left unread on the accepted side: rx_queue
    keep.extend([c, a])
    return c, a

l4 = tcp_listen(socket.AF_INET, "127.0.0.1", 8080)
tcp_listen(socket.AF_INET, "0.0.0.0", 9100)
l6 = tcp_listen(socket.AF_INET6, "fd00:faa5:0:100::1", 443, v6only=True)
tcp_listen(socket.AF_INET6, "::1", 8443, v6only=True)
dual = tcp_listen(socket.AF_INET6, "::", 9090, v6only=False)

pair(l4, socket.AF_INET, "127.0.0.1", 8080, b"x" * 100)
pair(l6, socket.AF_INET6, "fd00:faa5:0:100::1", 443, b"y" * 7)
pair(dual, socket.AF_INET, "127.0.0.1", 9090)

# TIME_WAIT: the side that closes first keeps it; here the client.
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
c.bind(("127.0.0.1", 40000))
c.connect(("127.0.0.1", 8080))
a, _ = l4.accept()
c.close()
time.sleep(0.1)
a.close()

# A listener owned by nobody (uid 65534), in a child process.
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.setgid(65534)
    os.setuid(65534)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 7000))
    s.listen(1)
    os.write(w, b"k")
    time.sleep(30)
    os._exit(0)
os.read(r, 1)

# UDP: a resolver-like socket on 127.0.0.53 (unconnected) and a client connected to it.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.53", 53)); keep.append(u)
uc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); uc.connect(("127.0.0.53", 53)); keep.append(uc)
uc.send(b"q" * 20)  # queued on the bound socket: rx_queue
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u6.bind(("::1", 5353)); keep.append(u6)
u6c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u6c.bind(("fd00:faa5:0:100::1", 5354)); u6c.connect(("fd00:faa5:0:100::1", 53)); keep.append(u6c)
udual = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
udual.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
udual.bind(("::", 5355)); udual.connect(("::ffff:127.0.0.53", 53)); keep.append(udual)

time.sleep(0.2)
os.makedirs(out, exist_ok=True)
for name in ("tcp", "tcp6", "udp", "udp6"):
    with open(f"/proc/net/{name}", "rb") as f, open(os.path.join(out, name), "wb") as g:
        g.write(f.read())
for args, name in ((["-tuan"], "ss-tuan.txt"), (["-tuane"], "ss-tuane.txt")):
    with open(os.path.join(out, name), "wb") as g:
        g.write(subprocess.run(["ss", *args], check=True, capture_output=True).stdout)
os.kill(pid, 9)
