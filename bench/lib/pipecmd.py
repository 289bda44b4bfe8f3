#!/usr/bin/env python3
"""Times whole commands as a user runs them, output to a pipe that is read to the end.

Usage: pipecmd.py ROUNDS SPEC.json      (run it inside the namespace under test)
SPEC is {"commands": {NAME: {"argv": [...], "rounds": N?}}}. One unmeasured warm-up run of
each, then ROUNDS rounds in which every command runs once, in an order that rotates each
round (none always follows another). Each run: fork/exec, read stdout through a pipe until
EOF (64 KiB reads, discarded), wait4: wall time from start to reaped, the child's peak RSS
and its output size. Peak RSS comes from one more run under GNU time (`%M`): a child's
ru_maxrss counts the forked parent's memory before exec, so Python's own would be the floor. Prints JSON {NAME: {"median_ms", "min_ms", "max_ms",
"samples_ms", "max_rss_mb", "bytes"}}.
"""
import json, os, statistics, subprocess, sys, time

rounds = int(sys.argv[1])
spec = json.load(open(sys.argv[2]))["commands"]


def run(argv):
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    n = 0
    while True:
        chunk = p.stdout.read1(65536)
        if not chunk:
            break
        n += len(chunk)
    _, status, _ = os.wait4(p.pid, 0)
    ms = (time.perf_counter() - t) * 1000
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"pipecmd: {' '.join(argv)} exited {p.returncode}")
    return ms, n


def peak_rss_mb(argv):
    out = f"/tmp/pipecmd-{os.getpid()}.rss"
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out, *argv], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    with open(out) as f:
        kb = int(f.read().split()[-1])
    os.unlink(out)
    return kb / 1024


names = list(spec)
for name in names:
    run(spec[name]["argv"])
samples = {name: [] for name in names}
rss = {name: 0.0 for name in names}
size = {name: 0 for name in names}
for r in range(rounds):
    order = names[r % len(names):] + names[:r % len(names)]
    for name in order:
        if len(samples[name]) >= spec[name].get("rounds", rounds):
            continue
        ms, n = run(spec[name]["argv"])
        samples[name].append(ms)
        size[name] = n
for name in names:
    rss[name] = peak_rss_mb(spec[name]["argv"])
print(json.dumps({name: {"median_ms": statistics.median(s), "min_ms": min(s), "max_ms": max(s),
                         "samples_ms": [round(x, 1) for x in s], "max_rss_mb": round(rss[name], 1),
                         "bytes": size[name]} for name, s in samples.items()}))
