#!/usr/bin/env python3
"""The floor under the command benchmark: the kernel's dump alone (a C program), our process
start alone (--version), and `ss -tan`, in one namespace grown to --sockets TCP sockets."""
import argparse, os, statistics, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import benchlib as b

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--binary", required=True)
p.add_argument("--dump", required=True)
p.add_argument("--sockets", type=int, default=10000)
p.add_argument("--rounds", type=int, default=21)
args = p.parse_args()

b.remove_stale_namespaces()
scenario = b.Scenario("floor")
try:
    held = scenario.grow(args.sockets)
    commands = {
        "kernel dump of both families, two threads (C, one dump)": [args.dump],
        "ss -tan": ["ss", "-tan"],
        "conn-exporter --version": [os.path.abspath(args.binary), "--version"],
        "conn-exporter connections --no-owners": [os.path.abspath(args.binary), "connections", "--protocol", "tcp",
                                                  "--netns", "host", "--no-owners"],
    }
    times = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, argv in commands.items():
            t = time.perf_counter()
            subprocess.run(["ip", "netns", "exec", scenario.name, *argv], stdout=subprocess.DEVNULL, check=True)
            times[name].append((time.perf_counter() - t) * 1e3)
    # The C program times its own dumps too, without exec and netns entry.
    inner = scenario.exec(args.dump, str(args.rounds))
    own = statistics.median(float(line.split(":")[1].split()[0]) for line in inner.splitlines())
    print(f"{held} TCP sockets, {args.rounds} rounds, medians of whole processes (ip netns exec included):")
    for name, values in times.items():
        print(f"  {statistics.median(values):7.2f} ms  {name}")
    print(f"  {own:7.2f} ms  the C program's dumps as it times them itself")
finally:
    scenario.close()
