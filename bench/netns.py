#!/usr/bin/env python3
"""Network namespaces: what reading every container's sockets costs, by reading path.

N namespaces (pods), each holding a listener and a few loopback connections in one process.
Times, as whole processes with output to a pipe, in the same run:
  - `conn-exporter connections --no-owners --netns all`  with --collector.netns.read=procfs
    and =netlink (setns + sock_diag in each namespace);
  - what a user runs without us: `nsenter -t PID -n ss -tan` once per namespace.
Rewrites the "netns" section of bench/RESULTS.md unless --no-write.
"""
import argparse, os, statistics, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import benchlib  # noqa: E402

WORKLOAD = os.path.join(benchlib.REPO, "tests/ConnExporter.Tests/Fixtures/netns/workload.py")


def timed(cmd, runs):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--counts", default="10,50")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    facts = benchlib.machine_facts()
    rows = []
    for n in [int(c) for c in args.counts.split(",")]:
        names, procs, pids = [], [], []
        try:
            for i in range(n):
                name = f"connbench-ns{i}-{os.getpid()}"
                subprocess.run(["ip", "netns", "add", name], check=True)
                subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
                names.append(name)
                p = subprocess.Popen(["ip", "netns", "exec", name, "python3", WORKLOAD, "--listen", "8080",
                                      "--loop", "8080", "--loop", "8080", "--loop", "8080", "--loop", "8080"],
                                     stdout=subprocess.PIPE, text=True)
                assert p.stdout.readline().strip() == "ready"
                procs.append(p)
                pids.append(p.pid)
            time.sleep(0.5)
            base = [args.binary, "connections", "--no-owners", "--netns", "all"]
            procfs = timed(base + ["--collector.netns.read", "procfs"], args.runs)
            netlink = timed(base + ["--collector.netns.read", "netlink"], args.runs)
            loop = ["bash", "-c", " ; ".join(f"nsenter -t {pid} -n ss -tan" for pid in pids)]
            ss = timed(loop, args.runs)
            rows.append((n, f"{procfs * 1000:.0f}", f"{netlink * 1000:.0f}", f"{ss * 1000:.0f}",
                         f"{procfs / ss:.2f}×", f"{netlink / ss:.2f}×",
                         f"{(procfs / n) * 1e3:.2f}", f"{(netlink / n) * 1e3:.2f}"))
            print(rows[-1], file=sys.stderr)
        finally:
            for p in procs:
                p.kill()
                p.wait()
            for name in names:
                subprocess.run(["ip", "netns", "del", name])
    body = "\n".join([
        "## Network namespaces: both reading paths (bench/netns.sh)",
        "",
        benchlib.facts_line(facts),
        "",
        f"Median of {args.runs} whole-process runs, output to a pipe; each namespace holds one process with a listener and 4 loopback connections (9 sockets). "
        "The user's alternative is one `nsenter -t PID -n ss -tan` per namespace.",
        "",
        benchlib.table(["namespaces", "procfs ms", "netlink ms", "nsenter+ss loop ms", "procfs / loop", "netlink / loop",
                        "procfs ms/ns", "netlink ms/ns"], rows),
    ])
    if not args.no_write:
        benchlib.write_section("netns", body)
    print(body)


if __name__ == "__main__":
    main()
