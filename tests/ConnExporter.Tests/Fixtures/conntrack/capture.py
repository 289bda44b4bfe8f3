#!/usr/bin/env python3
"""Captures a real ctnetlink dump reply for ConntrackDumpTests (run as root).

In a fresh network namespace: an IPv4 and an IPv6 DNAT rule in nat/OUTPUT sending a virtual
address to a listener on loopback, one connection through each, one direct (untranslated)
connection and one UDP datagram through the IPv4 rule. Then one IPCTNL_MSG_CT_GET dump of every
entry (no status filter, so untranslated entries are in it too) whose reply datagrams are
written, hex, one per line, to dnat-dump.hex. The test knows what the namespace held (the
sources are whatever the kernel chose; the virtual addresses are routed locally, so the kernel
picks them as the source too):
  tcp -> 10.96.0.10:80    DNAT to 127.0.0.1:18080
  tcp -> [fd00:96::10]:80 DNAT to [::1]:18080
  udp -> 10.96.0.10:53    DNAT to 127.0.0.1:18053
  tcp -> 127.0.0.1:18080  (no NAT)
"""
import os, socket, struct, subprocess, sys

NS = f"cxct-capture-{os.getpid()}"

def sh(*args):
    subprocess.run(args, check=True)

def inside():
    l4 = socket.socket(); l4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l4.bind(("127.0.0.1", 18080)); l4.listen()
    l6 = socket.socket(socket.AF_INET6); l6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    l6.bind(("::1", 18080)); l6.listen()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 18053))
    keep = [socket.create_connection(("10.96.0.10", 80)),
            socket.create_connection(("fd00:96::10", 80)),
            socket.create_connection(("127.0.0.1", 18080))]
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.sendto(b"x", ("10.96.0.10", 53)); u.recv(1)
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
    # nlmsghdr (len, type CT_GET, REQUEST|DUMP, seq 7, pid 0) + nfgenmsg (AF_UNSPEC, v0, res 0)
    nl.send(struct.pack("=IHHII", 20, (1 << 8) | 1, 0x301, 7, 0) + bytes(4))
    out = []
    while True:
        data = nl.recv(65536)
        out.append(data.hex())
        if struct.unpack_from("=H", data, 4)[0] in (2, 3):  # NLMSG_ERROR, NLMSG_DONE
            break
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")

if len(sys.argv) > 1 and sys.argv[1] == "--inside":
    inside()
    sys.exit(0)

sh("ip", "netns", "add", NS)
try:
    sh("ip", "-n", NS, "link", "set", "lo", "up")
    sh("ip", "-n", NS, "route", "add", "local", "10.96.0.10/32", "dev", "lo")
    sh("ip", "-n", NS, "-6", "route", "add", "local", "fd00:96::10/128", "dev", "lo")
    run = ["ip", "netns", "exec", NS]
    sh(*run, "iptables", "-t", "nat", "-A", "OUTPUT", "-d", "10.96.0.10", "-p", "tcp", "--dport", "80", "-j", "DNAT", "--to-destination", "127.0.0.1:18080")
    sh(*run, "iptables", "-t", "nat", "-A", "OUTPUT", "-d", "10.96.0.10", "-p", "udp", "--dport", "53", "-j", "DNAT", "--to-destination", "127.0.0.1:18053")
    sh(*run, "ip6tables", "-t", "nat", "-A", "OUTPUT", "-d", "fd00:96::10", "-p", "tcp", "--dport", "80", "-j", "DNAT", "--to-destination", "[::1]:18080")
    sh(*run, sys.executable, os.path.abspath(__file__), "--inside", os.path.join(os.path.dirname(os.path.abspath(__file__)), "dnat-dump.hex"))
finally:
    subprocess.run(["ip", "netns", "del", NS])
