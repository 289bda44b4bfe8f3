# A connecting process for EbpfCollectorTests, run inside a test network namespace.
# argv: comm port tun-peer established refused timeouts
# Prints its pid, waits for a line (the test moves it into a cgroup meanwhile), renames itself,
# then: listens on 127.0.0.1:port and [::1]:port, makes `established` IPv4 and 2 IPv6 connects
# to them, `refused` connects to port+1 (closed), `timeouts` connects to tun-peer (nobody reads
# the tun, so SYNs vanish; TCP_SYNCNT=1 makes the kernel give up after ~3 s), prints "done" and
# waits for another line before exiting.
import ctypes, errno, select, socket, sys, os

comm, port, peer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
established, refused, timeouts = (int(a) for a in sys.argv[4:7])
print(os.getpid(), flush=True)
sys.stdin.readline()
PR_SET_NAME = 15
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NAME, comm.encode(), 0, 0, 0)

l4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l4.bind(("127.0.0.1", port))
l4.listen(128)
l6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
l6.bind(("::1", port))
l6.listen(128)

for _ in range(established):
    socket.create_connection(("127.0.0.1", port)).close()
for _ in range(2):
    socket.create_connection(("::1", port)).close()

for _ in range(refused):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.connect(("127.0.0.1", port + 1))
        raise SystemExit("connect to a closed port succeeded")
    except ConnectionRefusedError:
        pass
    s.close()

pending = []
for _ in range(timeouts):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 1)
    s.setblocking(False)
    rc = s.connect_ex((peer, 80))
    if rc != errno.EINPROGRESS:
        raise SystemExit(f"connect to {peer} returned {rc}")
    pending.append(s)
for s in pending:
    select.select([], [s], [], 30)
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err != errno.ETIMEDOUT:
        raise SystemExit(f"connect to {peer} ended with errno {err}, not ETIMEDOUT")
    s.close()

print("done", flush=True)
sys.stdin.readline()
