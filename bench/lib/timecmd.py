#!/usr/bin/env python3
"""Times a whole command, output to /dev/null: one warm-up run, then RUNS timed runs.

Usage: timecmd.py RUNS -- COMMAND [ARGS...]      (run it inside the namespace under test)
Prints JSON: {"median_ms", "min_ms", "max_ms", "runs", "samples_ms"}.
"""
import json, statistics, subprocess, sys, time

runs = int(sys.argv[1])
assert sys.argv[2] == "--"
cmd = sys.argv[3:]
subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
samples = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    samples.append((time.perf_counter() - t) * 1000)
print(json.dumps({"median_ms": statistics.median(samples), "min_ms": min(samples),
                  "max_ms": max(samples), "runs": runs, "samples_ms": [round(s, 2) for s in samples]}))
