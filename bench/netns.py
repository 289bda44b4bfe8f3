#!/usr/bin/env python3
"""Network namespaces: what reading every container's sockets costs, against what a user does
without us, and what the namespace dimension costs a host without containers.

Run through bench/netns.sh (it publishes the shipped binary and builds the pre-namespace
baseline). Three parts, each in one run:

1. Layouts of N namespaces × S sockets (default 100×100 and 20×2000; one holder process per
   namespace holding a listener and (S-1)/2 loopback pairs). The whole scrape of the exporter
   (default collectors, every namespace, owners) with --collector.netns.read=procfs (what the
   units and the chart ship) and =netlink, against the user's alternative: one
   `nsenter -t PID -n ss -tanp` per namespace, summed (and `ss -tan`, without owners, beside it).
2. The `connections` command over every namespace, both paths, against the same loops.
3. The host-only scrape with no container present (the exporter, its sockets and nothing else in
   a pid and mount namespace of their own, so no other process or pinned namespace is seen):
   this build with the netns collector on and off, against the last build before namespaces
   (--baseline), scraped in interleaved rounds. Target: within ±10 %.

Rewrites the "netns" section of bench/RESULTS.md unless --no-write.
"""
import argparse, json, os, statistics, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import benchlib as b  # noqa: E402

HOLDER = os.path.join(b.LIB, "holder.py")
SCRAPELOOP = os.path.join(b.LIB, "scrapeloop.py")


def timed(cmd, runs):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def scrape(url, scrapes, pid, netns=None):
    cmd = ["python3", SCRAPELOOP, url, str(scrapes), str(pid)]
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    return json.loads(b.sh(*cmd))


def wait_http(url, proc, timeout=60):
    import urllib.request
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"exporter for {url} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer")


def metric_value(url, name):
    import urllib.request
    for line in urllib.request.urlopen(url, timeout=60).read().decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


class Namespaces:
    """N namespaces, each with one holder process of S sockets."""

    def __init__(self, count, sockets, tag):
        self.names, self.procs, self.pids = [], [], []
        self.workdir = f"/tmp/connbench-{tag}-{os.getpid()}"
        os.makedirs(self.workdir, exist_ok=True)
        ready = []
        try:
            for i in range(count):
                name = f"connbench-{tag}{i}-{os.getpid()}"
                b.sh("ip", "netns", "add", name)
                self.names.append(name)
                b.sh("ip", "-n", name, "link", "set", "lo", "up")
                b.sh("ip", "netns", "exec", name, "sysctl", "-q", "-w", "net.core.somaxconn=4096")
                path = os.path.join(self.workdir, f"h{i}.json")
                self.procs.append(subprocess.Popen(["ip", "netns", "exec", name, "python3", HOLDER,
                                                    str(sockets), "4" if i % 2 == 0 else "6", "8080", path]))
                ready.append(path)
            deadline = time.monotonic() + 300
            for path in ready:
                while not os.path.exists(path):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"holder not ready: {path}")
                    time.sleep(0.05)
                self.pids.append(json.load(open(path))["pid"])
        except BaseException:
            self.close()
            raise

    def close(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for name in self.names:
            subprocess.run(["ip", "netns", "delete", name], capture_output=True)
        subprocess.run(["rm", "-rf", self.workdir], capture_output=True)


def layouts_part(args):
    rows = []
    for layout in args.layouts.split(","):
        count, sockets = (int(x) for x in layout.split("x"))
        b.wait_for_quiet(args.max_busy, args.quiet_timeout)
        spaces = Namespaces(count, sockets, "ns")
        exporters = []
        try:
            for port, read in ((19831, "procfs"), (19832, "netlink")):
                p = subprocess.Popen([args.binary, f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
                                      "--collector.netns.read", read],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                exporters.append(p)
                wait_http(f"http://127.0.0.1:{port}/metrics", p)
            scanned = metric_value("http://127.0.0.1:19831/metrics", "conn_exporter_netns_scanned")
            if scanned is None or scanned < count:
                raise RuntimeError(f"the exporter scanned {scanned} namespaces, expected ≥ {count}")
            procfs = scrape("http://127.0.0.1:19831/metrics", args.scrapes, exporters[0].pid)
            netlink = scrape("http://127.0.0.1:19832/metrics", args.scrapes, exporters[1].pid)
            for p in exporters:
                p.terminate()
                p.wait()
            exporters.clear()
            base = [args.binary, "connections", "--netns", "all"]
            cmd_procfs = timed(base + ["--collector.netns.read", "procfs"], args.runs)
            cmd_netlink = timed(base + ["--collector.netns.read", "netlink"], args.runs)
            loop_p = timed(["bash", "-c", " ; ".join(f"nsenter -t {pid} -n ss -tanp" for pid in spaces.pids)], args.ss_runs)
            loop = timed(["bash", "-c", " ; ".join(f"nsenter -t {pid} -n ss -tan" for pid in spaces.pids)], args.ss_runs)
        finally:
            for p in exporters:
                p.kill()
                p.wait()
            spaces.close()
        row = (f"{count} × {sockets}", f"{procfs['p50_ms']:.0f}", f"{netlink['p50_ms']:.0f}",
               f"{cmd_procfs * 1e3:.0f}", f"{cmd_netlink * 1e3:.0f}",
               f"{loop_p * 1e3:.0f}", f"{loop * 1e3:.0f}",
               f"{procfs['p50_ms'] / (loop_p * 1e3):.2f}× {b.verdict(procfs['p50_ms'] <= 0.25 * loop_p * 1e3)}",
               f"{netlink['p50_ms'] / (loop_p * 1e3):.2f}×",
               f"{cmd_procfs / loop_p:.2f}×",
               f"{procfs['cpu_s_per_scrape'] * 1e3:.0f}", f"{procfs['RssAnon_mb']}")
        print(row, file=sys.stderr)
        rows.append(row)
    return rows


def host_only_part(args):
    """The exporters and a 10k-socket workload alone in a pid and mount namespace."""
    b.wait_for_quiet(args.max_busy, args.quiet_timeout)
    scenario = b.Scenario("nshost")
    ports = {"baseline": 19841, "netns on": 19842, "netns off": 19843}
    jit = ["dotnet", args.jit]
    commands = {
        "baseline": ["dotnet", args.baseline],
        "netns on": jit,
        "netns off": jit + ["--no-collector.netns"],
    }
    script = ["mount -t tmpfs none /run/netns",
              "[ -d /var/run/docker/netns ] && mount -t tmpfs none /var/run/docker/netns",
              f"python3 {HOLDER} 5000 4 20000 {scenario.workdir}/a.json &",
              f"python3 {HOLDER} 5000 6 20001 {scenario.workdir}/b.json &"]
    for name, cmd in commands.items():
        script.append(" ".join(cmd + [f"--web.listen-address=127.0.0.1:{ports[name]}", "--log.level=warn"])
                      + " >/dev/null 2>&1 &")
    script.append("wait")
    launcher = scenario.start("unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "bash", "-c", "\n".join(script))
    try:
        for f in ("a.json", "b.json"):
            path = os.path.join(scenario.workdir, f)
            deadline = time.monotonic() + 120
            while not os.path.exists(path):
                if time.monotonic() > deadline or launcher.poll() is not None:
                    raise RuntimeError("the host-only workload did not start")
                time.sleep(0.1)
        pids = {}
        for name, port in ports.items():
            deadline = time.monotonic() + 60
            while name not in pids:
                out = subprocess.run(["pgrep", "-f", f"^dotnet .*listen-address=127.0.0.1:{port}"], capture_output=True, text=True).stdout.split()
                if out:
                    pids[name] = int(out[0])
                elif time.monotonic() > deadline:
                    raise RuntimeError(f"exporter {name} did not start")
                else:
                    time.sleep(0.2)
            for _ in range(120):
                try:
                    scenario.exec("python3", SCRAPELOOP, f"http://127.0.0.1:{port}/metrics", "1", str(pids[name]))
                    break
                except subprocess.CalledProcessError:
                    time.sleep(0.5)
        scanned = scenario.exec("sh", "-c", f"curl -s http://127.0.0.1:{ports['netns on']}/metrics | grep '^conn_exporter_netns_scanned'").strip()
        p50s = {name: [] for name in ports}
        cpu = {name: [] for name in ports}
        for _ in range(args.rounds):
            for name, port in ports.items():
                r = scrape(f"http://127.0.0.1:{port}/metrics", args.scrapes, pids[name], scenario.name)
                p50s[name].append(r["p50_ms"])
                cpu[name].append(r["cpu_s_per_scrape"] * 1e3)
        sockets = scenario.count_tcp()
    finally:
        scenario.close()
    base = statistics.median(p50s["baseline"])
    rows = []
    for name in ports:
        med = statistics.median(p50s[name])
        ratio = med / base
        # The target is the default build (netns on) on a host without containers; "netns off"
        # is shown for where the time goes, not judged.
        ok = f" {b.verdict(ratio <= 1.10)}" if name == "netns on" else ""
        rows.append((name, f"{med:.1f}", f"{statistics.median(cpu[name]):.1f}", f"{ratio:.2f}×{ok}"))
    return rows, sockets, scanned


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True, help="the shipped (Native AOT) executable")
    ap.add_argument("--jit", required=True, help="this build's conn-exporter.dll (JIT), for the host-only comparison")
    ap.add_argument("--baseline", required=True, help="conn-exporter.dll of the last build before namespaces")
    ap.add_argument("--baseline-commit", default="?")
    ap.add_argument("--layouts", default="100x100,20x2000", help="NAMESPACESxSOCKETS, comma-separated")
    ap.add_argument("--scrapes", type=int, default=10, help="sequential scrapes per measurement")
    ap.add_argument("--runs", type=int, default=5, help="timed runs of the command (median)")
    ap.add_argument("--ss-runs", type=int, default=3, help="timed runs of each nsenter+ss loop (median)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the host-only scrapes")
    ap.add_argument("--max-busy", type=float, default=0.3)
    ap.add_argument("--quiet-timeout", type=int, default=60)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    b.remove_stale_namespaces()
    facts = b.machine_facts()
    layout_rows = layouts_part(args) if args.layouts else []
    host_rows, host_sockets, scanned = host_only_part(args)
    body = "\n".join([
        "## Network namespaces: every container's sockets, and the host alone (bench/netns.sh)",
        "",
        b.facts_line(facts),
        "",
        "**Containers.** N namespaces × S TCP sockets (one holder process per namespace, loopback pairs and a "
        f"listener). Scrape: median of {args.scrapes} sequential scrapes of the whole `/metrics` (default collectors, "
        "every namespace, owners), as Prometheus asks. The user's alternative: one `nsenter -t PID -n ss -tanp` per "
        f"namespace, summed (median of {args.ss_runs}); `ss -tan` beside it. Command: `connections --netns all` "
        f"(owners on), median of {args.runs}, output to a pipe. Target: the procfs scrape ≤ 0.25× the `ss -tanp` loop.",
        "",
        b.table(["layout", "scrape procfs ms", "scrape netlink ms", "command procfs ms", "command netlink ms",
                 "nsenter+ss -tanp loop ms", "nsenter+ss -tan loop ms", "scrape procfs / -tanp loop",
                 "scrape netlink / -tanp loop", "command procfs / -tanp loop", "procfs CPU ms/scrape",
                 "procfs RssAnon MB"], layout_rows),
        "",
        f"**The host alone.** {host_sockets} TCP sockets, the exporters and nothing else in a pid and mount namespace "
        "of their own (no other process, nothing pinned under /run/netns: no container; "
        f"`{scanned}`). Median of {args.rounds} interleaved rounds of {args.scrapes} scrapes' p50, all three JIT; "
        f"baseline: commit {args.baseline_commit}, the last before namespaces. Target: within ±10 % of the baseline.",
        "",
        b.table(["exporter", "scrape p50 ms", "CPU ms/scrape", "/ baseline"], host_rows),
    ])
    if not args.no_write:
        b.write_section("netns", body)
    print(body)


if __name__ == "__main__":
    main()
