#!/usr/bin/env python3
"""Scrapes one /metrics URL sequentially, as Prometheus would, and measures the server process.

Usage: scrapeloop.py URL SCRAPES PID        (run it inside the namespace under test)
One keep-alive HTTP/1.1 connection, `Accept-Encoding: gzip` and the text 0.0.4 Accept header
Prometheus sends; each latency covers request to last body byte. CPU is the server's
utime+stime delta from /proc/PID/stat over the loop, divided by SCRAPES.
Prints JSON with latencies, CPU and the server's RssAnon/VmRSS after the loop.
"""
import http.client, json, os, sys, time, urllib.parse

url, scrapes, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
u = urllib.parse.urlsplit(url)
TICK = os.sysconf("SC_CLK_TCK")
HEADERS = {"Accept": "text/plain;version=0.0.4;q=1,*/*;q=0.1", "Accept-Encoding": "gzip"}


def cpu_seconds():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / TICK


def memory():
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "VmRSS", "VmHWM", "RssFile"):
                out[key + "_mb"] = round(int(value.split()[0]) / 1024, 1)
    return out


def percentile(sorted_values, p):
    # Nearest rank: p99 of 50 samples is the largest.
    k = max(0, min(len(sorted_values) - 1, -(-len(sorted_values) * p // 100) - 1))
    return sorted_values[int(k)]


conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
latencies, body_bytes = [], 0
cpu0 = cpu_seconds()
for _ in range(scrapes):
    t = time.perf_counter()
    conn.request("GET", u.path or "/", headers=HEADERS)
    r = conn.getresponse()
    body = r.read()
    latencies.append((time.perf_counter() - t) * 1000)
    if r.status != 200:
        sys.exit(f"scrapeloop: {url} answered {r.status}")
    body_bytes = len(body)
cpu1 = cpu_seconds()
conn.close()
s = sorted(latencies)
print(json.dumps({"scrapes": scrapes, "p50_ms": percentile(s, 50), "p99_ms": percentile(s, 99),
                  "min_ms": s[0], "max_ms": s[-1], "cpu_s_per_scrape": (cpu1 - cpu0) / scrapes,
                  "body_bytes_gzip": body_bytes, **memory()}))
