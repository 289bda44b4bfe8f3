"""Shared pieces of bench/inventory.py and bench/scrape.py: the namespace full of sockets,
commands run inside it, machine facts, and rewriting one section of bench/RESULTS.md."""
import atexit, datetime, json, os, re, signal, subprocess, sys, time

LIB = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(LIB)
REPO = os.path.dirname(BENCH)
RESULTS = os.path.join(BENCH, "RESULTS.md")
PER_HOLDER = 5000  # sockets per holder process: well under the 20000 open-file hard limit


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


class Scenario:
    """A fresh network namespace (loopback only) whose TCP sockets are held by holder
    processes. grow(n) adds holders until about n sockets exist. close() — also run at exit
    and on SIGINT/SIGTERM — kills every process started here and deletes the namespace."""

    def __init__(self, tag):
        self.name = f"connbench-{tag}-{os.getpid()}"
        self.procs = []
        self.holders = 0
        self.sockets = 0
        self.workdir = f"/tmp/{self.name}"
        os.makedirs(self.workdir, exist_ok=True)
        atexit.register(self.close)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, lambda signum, _: sys.exit(128 + signum))
        sh("ip", "netns", "add", self.name)
        self.exec("ip", "link", "set", "lo", "up")
        # Per-namespace knobs: deep accept queues for the holders' bursts of connects.
        self.exec("sysctl", "-q", "-w", "net.core.somaxconn=4096")

    def exec(self, *cmd):
        return sh("ip", "netns", "exec", self.name, *cmd)

    def run_quiet(self, *cmd):
        """Runs a command inside the namespace with stdout on /dev/null (stderr passes through)."""
        subprocess.run(["ip", "netns", "exec", self.name, *cmd], check=True, stdout=subprocess.DEVNULL)

    def start(self, *cmd, env=None, **kw):
        """Starts a process inside the namespace (ip netns exec execs it: the pid is the
        process's own); close() ends it."""
        p = subprocess.Popen(["ip", "netns", "exec", self.name, *cmd],
                             env={**os.environ, **(env or {})}, **kw)
        self.procs.append(p)
        return p

    def grow(self, total, timeout=120, connect_to=None):
        """Adds holders (alternating IPv4 and IPv6 loopback) until ≈ total sockets are held.
        connect_to(port) -> "HOST:PORT": IPv4 only, each holder's clients connect there (a
        virtual address a DNAT rule sends to the holder's listener on `port`)."""
        started = []
        while self.sockets < total:
            n = min(PER_HOLDER, total - self.sockets)
            if n < 3:
                break
            ready = os.path.join(self.workdir, f"holder{self.holders}.json")
            family = "4" if connect_to or self.holders % 2 == 0 else "6"
            port = 20000 + self.holders
            self.start("python3", os.path.join(LIB, "holder.py"), str(n), family,
                       str(port), ready, *([connect_to(port)] if connect_to else []))
            started.append(ready)
            self.holders += 1
            self.sockets += 1 + 2 * ((n - 1) // 2)
        deadline = time.monotonic() + timeout
        for ready in started:
            while not os.path.exists(ready):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"holder did not get ready: {ready}")
                if any(p.poll() not in (None,) for p in self.procs):
                    raise RuntimeError("a process in the namespace exited early")
                time.sleep(0.05)
        return self.count_tcp()

    def count_tcp(self):
        """TCP sockets in the namespace as `ss` sees them (ground truth for the tables)."""
        return len(self.exec("ss", "-tanH").splitlines())

    def time_command(self, runs, *cmd):
        return json.loads(self.exec("python3", os.path.join(LIB, "timecmd.py"), str(runs), "--", *cmd))

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 5
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs.clear()
        subprocess.run(["ip", "netns", "delete", self.name], capture_output=True)
        subprocess.run(["rm", "-rf", self.workdir], capture_output=True)


def cpu_busy(seconds=1.0):
    """Fraction of all cores busy over the next `seconds` (from /proc/stat)."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + v[4]  # idle + iowait
        return sum(v), idle
    t0, i0 = sample()
    time.sleep(seconds)
    t1, i1 = sample()
    return 1 - (i1 - i0) / max(1, t1 - t0)


def wait_for_quiet(max_busy, timeout):
    """The machine may be shared: before a measurement, wait (bounded) until the other work on
    it uses at most `max_busy` of the CPUs. Returns the last busy fraction seen; 0 disables."""
    if max_busy <= 0:
        return None
    deadline = time.monotonic() + timeout
    busy = cpu_busy()
    while busy > max_busy and time.monotonic() < deadline:
        busy = cpu_busy()
    if busy > max_busy:
        print(f"bench: machine still {busy:.0%} busy after {timeout}s; measuring anyway", file=sys.stderr)
    return busy


def remove_stale_namespaces():
    """Deletes connbench-* namespaces left by benchmark runs whose process is gone."""
    for line in sh("ip", "netns", "list").splitlines():
        m = re.match(r"(connbench-\S+-(\d+))\b", line)
        if m and not os.path.exists(f"/proc/{m.group(2)}"):
            subprocess.run(["ip", "netns", "delete", m.group(1)], capture_output=True)


def machine_facts():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "kernel": os.uname().release,
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1048576, 1),
        "dotnet": sh("dotnet", "--version").strip(),
        "ss": sh("ss", "-V").strip(),
        "commit": commit + (" (src modified)" if dirty else ""),
        # The machine may be shared: say how busy it was when the run started.
        "load": open("/proc/loadavg").read().split()[0],
    }


def facts_line(f):
    return (f"{f['date']} · kernel {f['kernel']} · {f['cores']} cores ({f['cpu']}) · "
            f"{f['memory_gb']} GB · .NET SDK {f['dotnet']} · {f['ss']} · commit {f['commit']} · "
            f"load average {f['load']} at start")


def write_section(name, body):
    """Replaces the text between <!-- NAME:begin --> and <!-- NAME:end --> in RESULTS.md
    (appending the section when it is not there yet)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = open(RESULTS).read() if os.path.exists(RESULTS) else "# Benchmark results\n"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(RESULTS, "w") as f:
        f.write(text)


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def verdict(ok):
    return "**pass**" if ok else "**FAIL**"
