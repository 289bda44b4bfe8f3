# TCP traffic with known byte counts, retransmits and resets for EbpfTrafficTests, run inside a
# test network namespace. Every connection goes over loopback from a client process to a server
# process (a fork), each renamed (PR_SET_NAME) so the test can find its series.
#
# argv: mode client-comm server-comm port [args]
#   transfer N M [count [pause-ms]]: `count` connections (default 1), one after the other
#       (`pause-ms` apart, default 0): the client sends
#       exactly N payload bytes and half-closes, the server reads them all, sends exactly M and
#       closes, the client reads them all and closes.
#   retransmit N: one connection; after a first exchange, client-to-server segments are dropped
#       on arrival (iptables INPUT DROP on the server port: a loss on the path; an OUTPUT drop
#       would fail the transmit locally, which TCP does not count as a retransmit) while the
#       client sends N bytes, for ~1.2 s, so the kernel retransmits; then the rule goes,
#       everything is delivered, both close.
#   live N M hold-ms: one connection that stays open while the test reads: the client sends N,
#       the server reads them and sends M, and 1.1 s later 1 more (its send path's periodic
#       flush), then half-closes (the client reaches CLOSE_WAIT); both keep their sockets
#       open for hold-ms, then close. Reports closed_at (time.monotonic, CLOCK_MONOTONIC).
#   resets: an established connection the client aborts (SO_LINGER 0: it sends a RST, the server
#       receives it), then a connect to port+1, where nobody listens (the client receives a RST).
# TRAFFIC_CONNECT=host:port in the environment: transfer and resets connect there instead of
# to 127.0.0.1:port (a virtual address a DNAT rule sends to the server).
# Prints one JSON line with what the sockets themselves saw, then exits 0.
import ctypes, json, os, socket, struct, subprocess, sys, time

mode, client_comm, server_comm, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
args = [int(a) for a in sys.argv[5:]]
_connect = os.environ.get("TRAFFIC_CONNECT")
target = (_connect.rsplit(":", 1)[0], int(_connect.rsplit(":", 1)[1])) if _connect else ("127.0.0.1", port)
PR_SET_NAME = 15
libc = ctypes.CDLL(None, use_errno=True)


def rename(comm):
    libc.prctl(PR_SET_NAME, comm.encode(), 0, 0, 0)


def read_all(s):
    total = 0
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            return total
        total += len(chunk)


def tcp_info(s):
    # struct tcp_info: tcpi_unacked at offset 24, tcpi_total_retrans at offset 100 (include/uapi/linux/tcp.h).
    raw = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return {"unacked": struct.unpack_from("I", raw, 24)[0], "total_retrans": struct.unpack_from("I", raw, 100)[0]}


ready_r, ready_w = os.pipe()
report_r, report_w = os.pipe()


def settled(s):
    """tcpi_total_retrans once everything sent is acknowledged: loopback retransmits too (a tail
    loss probe fires when a delayed ACK is late), so the test compares with what the socket saw."""
    deadline = time.time() + 20
    while tcp_info(s)["unacked"] and time.time() < deadline:
        time.sleep(0.001)
    return tcp_info(s)["total_retrans"]


pid = os.fork()
if pid == 0:
    # The server listens under its own name: an incoming socket is named after its listener
    # until its owner sends or receives.
    rename(server_comm)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    os.close(ready_r)
    os.write(ready_w, b"r")
    try:
        if mode == "transfer":
            n, m = args[0], args[1]
            retrans = 0
            for _ in range(args[2] if len(args) > 2 else 1):
                c, _ = listener.accept()
                got = read_all(c)
                if got != n:
                    os._exit(10)
                c.sendall(b"s" * m)
                retrans += settled(c)
                c.close()
            os.write(report_w, str(retrans).encode())
        elif mode == "retransmit":
            c, _ = listener.accept()
            got = read_all(c)
            if got != args[0] + 1:
                os._exit(11)
            c.close()
        elif mode == "live":
            c, _ = listener.accept()
            got = 0
            while got < args[0]:
                got += len(c.recv(1 << 16))
            c.sendall(b"l" * args[1])
            settled(c)  # all M acknowledged: the flush below counts them
            time.sleep(1.1)
            c.sendall(b"+")
            c.shutdown(socket.SHUT_WR)
            c.recv(1)  # the client's FIN, after the hold
            c.close()
        elif mode == "resets":
            c, _ = listener.accept()
            try:
                c.recv(1)
                os._exit(12)  # the client's RST must fail this read
            except ConnectionResetError:
                pass
            c.close()
        os._exit(0)
    except Exception as e:
        sys.stderr.write(f"server: {e}\n")
        os._exit(13)

rename(client_comm)
os.close(ready_w)
os.read(ready_r, 1)
result = {}
if mode == "transfer":
    n, m = args[0], args[1]
    ports = []
    retrans = 0
    for _ in range(args[2] if len(args) > 2 else 1):
        s = socket.create_connection(target)
        ports.append(s.getsockname()[1])
        s.sendall(b"c" * n)
        s.shutdown(socket.SHUT_WR)
        got = read_all(s)
        if got != m:
            raise SystemExit(f"client received {got} bytes, expected {m}")
        retrans += settled(s)
        s.close()
        if len(args) > 3:
            time.sleep(args[3] / 1000)
    result["ports"] = ports
    result["client_retrans"] = retrans
    os.close(report_w)
    result["server_retrans"] = int(os.read(report_r, 64) or b"0")
elif mode == "retransmit":
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"x")
    deadline = time.time() + 5
    while tcp_info(s)["unacked"] and time.time() < deadline:
        time.sleep(0.01)
    rule = ["INPUT", "-i", "lo", "-p", "tcp", "--dport", str(port), "-j", "DROP"]
    subprocess.run(["iptables", "-I"] + rule, check=True)
    try:
        s.sendall(b"r" * args[0])
        time.sleep(1.2)  # RTO starts at 200 ms and doubles: a few retransmits
    finally:
        subprocess.run(["iptables", "-D"] + rule, check=True)
    deadline = time.time() + 20
    while tcp_info(s)["unacked"] and time.time() < deadline:
        time.sleep(0.01)
    result["total_retrans"] = tcp_info(s)["total_retrans"]
    s.shutdown(socket.SHUT_WR)
    s.settimeout(20)
    s.recv(1)  # the server's FIN: everything acknowledged, nothing more to retransmit
    result["total_retrans_at_close"] = tcp_info(s)["total_retrans"]
    s.close()
elif mode == "live":
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"c" * args[0])
    got = read_all(s)  # up to the server's FIN: CLOSE_WAIT
    if got != args[1] + 1:
        raise SystemExit(f"client received {got} bytes, expected {args[1] + 1}")
    time.sleep(args[2] / 1000)
    result["closed_at"] = time.monotonic()
    s.close()
elif mode == "resets":
    s = socket.create_connection(target)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    r = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        r.connect(("127.0.0.1", port + 1))
        raise SystemExit("connect to a closed port succeeded")
    except ConnectionRefusedError:
        pass
    r.close()

_, status = os.waitpid(pid, 0)
if status != 0:
    raise SystemExit(f"server exited with status {status}")
print(json.dumps(result), flush=True)
