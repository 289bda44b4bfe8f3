"""A pod-like workload for the namespace tests: listens, connects, then waits.

Usage: workload.py [--listen PORT]... [--udp PORT]... [--connect HOST:PORT]... [--loop PORT]...
Listeners are dual-stack and accept every connection on a thread of their own.
Prints "ready" once every socket is set up, then sleeps until killed.
"""
import socket
import sys
import threading
import time


def accept_forever(listener):
    while True:
        conn, _ = listener.accept()
        held.append(conn)


held = []
args = sys.argv[1:]
i = 0
while i < len(args):
    flag, value = args[i], args[i + 1]
    i += 2
    if flag == "--listen":
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", int(value)))
        s.listen(16)
        held.append(s)
        threading.Thread(target=accept_forever, args=(s,), daemon=True).start()
    elif flag == "--udp":
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("0.0.0.0", int(value)))
        held.append(u)
    elif flag == "--connect":
        host, port = value.rsplit(":", 1)
        for attempt in range(50):
            try:
                held.append(socket.create_connection((host, int(port)), timeout=2))
                break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("cannot connect to " + value)
    elif flag == "--loop":
        # a connection to our own listener on loopback: both ends in this namespace
        c = socket.create_connection(("127.0.0.1", int(value)))
        held.append(c)
print("ready", flush=True)
while True:
    time.sleep(3600)
