#!/usr/bin/env python3
"""Scrape benchmark: the real exporter's /metrics against node_exporter's tcpstat and `ss`.

Run through bench/scrape.sh (it builds Release and installs prometheus-node-exporter if
missing). In one namespace it starts, at a baseline with no other sockets:
  (a) conn-exporter --collector.disable-defaults --collector.sockets
  (b) conn-exporter with its default collectors
  node_exporter --collector.disable-defaults --collector.tcpstat
  plus (b) again per --variant, with extra environment variables (GC knobs), and (a) and (b)
  as the shipped Native AOT executable with --aot (bench/scrape.sh publishes it)
records their idle memory, then grows the namespace to each size and scrapes each exporter
sequentially (bench/lib/scrapeloop.py, inside the namespace). At the largest size it also times
`ss -tanp`. Rewrites the scrape section of bench/RESULTS.md.
"""
import argparse, json, os, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import benchlib as b

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--sizes", default="10000,40000", help="socket counts, comma-separated")
p.add_argument("--scrapes", type=int, default=50, help="sequential scrapes per exporter and size")
p.add_argument("--idle-scrapes", type=int, default=5, help="scrapes at the baseline before idle memory is read")
p.add_argument("--ss-runs", type=int, default=7, help="timed runs of ss -tanp (median)")
p.add_argument("--variant", action="append", default=[], metavar="NAME:VAR=VALUE[,VAR=VALUE]",
               help="also run the full default exporter with these environment variables")
p.add_argument("--aot", metavar="BINARY", help="also run (a) and (b) as this Native AOT executable")
p.add_argument("--max-busy", type=float, default=0.3,
               help="before each measurement wait until other work uses at most this CPU fraction (0: don't)")
p.add_argument("--quiet-timeout", type=int, default=120, help="longest wait for --max-busy, seconds")
p.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
args = p.parse_args()

DLL = os.path.join(b.REPO, "src/ConnExporter/bin/Release/net10.0/conn-exporter.dll")
NODE = "/usr/bin/prometheus-node-exporter"
for path in (DLL, NODE):
    if not os.path.exists(path):
        sys.exit(f"scrape: {path} missing; run bench/scrape.sh (it builds and installs)")

sizes = [int(s) for s in args.sizes.split(",")]
b.remove_stale_namespaces()
facts = b.machine_facts()
version = subprocess.run([NODE, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
facts["node_exporter"] = (version.splitlines() or ["node_exporter"])[0].strip()
scenario = b.Scenario("scrape")

# name → (label, command, env)
exporters = {
    "a": ("conn-exporter (a) `--collector.disable-defaults --collector.sockets`",
          ["dotnet", DLL, "--web.listen-address=127.0.0.1:19811", "--collector.disable-defaults",
           "--collector.sockets", "--log.level=warn"], {}),
    "b": ("conn-exporter (b) default collectors",
          ["dotnet", DLL, "--web.listen-address=127.0.0.1:19812", "--log.level=warn"], {}),
    "node": ("node_exporter `--collector.disable-defaults --collector.tcpstat`",
             [NODE, "--collector.disable-defaults", "--collector.tcpstat",
              "--web.listen-address=127.0.0.1:19100", "--log.level=warn"], {}),
}
for i, spec in enumerate(args.variant):
    name, _, assignments = spec.partition(":")
    env = dict(a.split("=", 1) for a in assignments.split(",") if a)
    exporters[f"b-{name}"] = (f"conn-exporter (b) default, {' '.join(f'`{k}={v}`' for k, v in env.items())}",
                              ["dotnet", DLL, f"--web.listen-address=127.0.0.1:{19820 + i}", "--log.level=warn"], env)
if args.aot:
    aot = os.path.abspath(args.aot)
    exporters["a-aot"] = ("conn-exporter (a) Native AOT", [aot, "--web.listen-address=127.0.0.1:19813", "--collector.disable-defaults",
                                                          "--collector.sockets", "--log.level=warn"], {})
    exporters["b-aot"] = ("conn-exporter (b) Native AOT", [aot, "--web.listen-address=127.0.0.1:19814", "--log.level=warn"], {})


def url(cmd):
    return "http://" + next(a for a in cmd if a.startswith("--web.listen-address=")).split("=", 1)[1] + "/metrics"


def memory(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "VmRSS"):
                out[key + "_mb"] = round(int(value.split()[0]) / 1024, 1)
    return out


def scrape(name, count):
    pid = procs[name].pid
    return json.loads(scenario.exec("python3", os.path.join(b.LIB, "scrapeloop.py"), url(exporters[name][1]),
                                    str(count), str(pid)))


procs = {}
startup = {}
# One at a time, so that each start is timed alone: from exec to the first /metrics answered
# (the exporter's first collection included; polled every 10 ms from inside the namespace).
for name, (_, cmd, env) in exporters.items():
    b.wait_for_quiet(args.max_busy, args.quiet_timeout)
    t0 = time.monotonic()
    procs[name] = scenario.start(*cmd, env=env, stdout=subprocess.DEVNULL)
    deadline = t0 + 60
    while subprocess.run(["ip", "netns", "exec", scenario.name, "curl", "-sf", "-o", "/dev/null", url(cmd)]).returncode:
        if procs[name].poll() is not None or time.monotonic() > deadline:
            sys.exit(f"scrape: {name} did not start serving {url(cmd)}")
        time.sleep(0.01)
    startup[name] = (time.monotonic() - t0) * 1000

idle = {}
time.sleep(1)
for name in exporters:
    started = memory(procs[name].pid)
    scrape(name, args.idle_scrapes)
    idle[name] = {"started": started, "idle": memory(procs[name].pid)}
print(f"scrape: idle memory {json.dumps(idle)}", file=sys.stderr)

results = {}
ss = {}
for size in sizes:
    held = scenario.grow(size)
    print(f"scrape: {held} TCP sockets in {scenario.name}", file=sys.stderr)
    results[size] = {"held": held}
    for name in exporters:
        b.wait_for_quiet(args.max_busy, args.quiet_timeout)
        scrape(name, 2)  # the first scrape at a new size pays for growing buffers and caches
        results[size][name] = scrape(name, args.scrapes)
        print(f"scrape: {size} {name} {json.dumps(results[size][name])}", file=sys.stderr)
    if size == max(sizes):
        b.wait_for_quiet(args.max_busy, args.quiet_timeout)
        ss = {"held": held, "tanp": scenario.time_command(args.ss_runs, "ss", "-tanp"),
              "tan": scenario.time_command(args.ss_runs, "ss", "-tan")}
scenario.close()

big = max(sizes)
rows = []
for size in sizes:
    r = results[size]
    for name, (label, _, _) in exporters.items():
        m = r[name]
        rows.append([f"{r['held']:,}", label, f"{m['p50_ms']:.1f}", f"{m['p99_ms']:.1f}",
                     f"{m['cpu_s_per_scrape'] * 1000:.1f}", f"{m['RssAnon_mb']:.1f}", f"{m['VmRSS_mb']:.1f}",
                     f"{m['body_bytes_gzip'] / 1024:.1f}"])
latency = b.table(["TCP sockets", "exporter", "p50 ms", "p99 ms", "CPU ms / scrape", "RssAnon MB",
                   "VmRSS MB", "gzip body KiB"], rows)

mrows = []
for name, (label, _, _) in exporters.items():
    i = idle[name]
    mrows.append([label, f"{startup[name]:.0f}", f"{i['started']['RssAnon_mb']:.1f} / {i['started']['VmRSS_mb']:.1f}",
                  f"{i['idle']['RssAnon_mb']:.1f} / {i['idle']['VmRSS_mb']:.1f}",
                  f"{results[big][name]['RssAnon_mb']:.1f} / {results[big][name]['VmRSS_mb']:.1f}"])
mem = b.table(["exporter", "start to first scrape ms", "after start: RssAnon / VmRSS MB",
               f"idle (after {args.idle_scrapes} baseline scrapes)", f"after {args.scrapes} scrapes at {results[big]['held']:,}"],
              mrows)

trows = []
for size in sizes:
    a, n = results[size]["a"]["p50_ms"], results[size]["node"]["p50_ms"]
    trows.append([f"(a) p50 ≤ node_exporter tcpstat p50", f"{results[size]['held']:,}",
                  f"{a:.1f} vs {n:.1f} ms = {a / n:.2f}×", b.verdict(a <= n)])
ss_tanp = ss["tanp"]["median_ms"]
for name in [k for k in exporters if k == "b" or k.startswith("b-")]:
    v = results[big][name]["p50_ms"]
    trows.append([f"{name} p50 ≤ 0.5× `ss -tanp`", f"{results[big]['held']:,}",
                  f"{v:.1f} vs {ss_tanp:.1f} ms = {v / ss_tanp:.2f}×", b.verdict(v <= 0.5 * ss_tanp)])
for name in [k for k in exporters if k != "node"]:
    i = idle[name]["idle"]["RssAnon_mb"]
    trows.append([f"{name} RssAnon idle ≤ 25 MB", "baseline", f"{i:.1f} MB (VmRSS {idle[name]['idle']['VmRSS_mb']:.1f})",
                  b.verdict(i <= 25)])
    g = results[big][name]["RssAnon_mb"]
    trows.append([f"{name} RssAnon ≤ 60 MB at {big // 1000}k", f"{results[big]['held']:,}",
                  f"{g:.1f} MB (VmRSS {results[big][name]['VmRSS_mb']:.1f})", b.verdict(g <= 60)])
verdicts = b.table(["target", "TCP sockets", "measured", "result"], trows)

reproduce = " ".join(["bench/scrape.sh", "--sizes", args.sizes, "--scrapes", str(args.scrapes),
                      *(f"--variant '{v}'" for v in args.variant), *(["--aot"] if args.aot else [])])
body = f"""## Scrape: `/metrics` vs node_exporter tcpstat and `ss -tanp`

Run: {b.facts_line(facts)} · {facts['node_exporter']}

Reproduce (root): `{reproduce}`

All exporters run at once in one network namespace (loopback only), started before any benchmark
socket exists (Release build, `dotnet conn-exporter.dll`, and the Native AOT executable where
named so), one after another: *start to first scrape* is from exec to the first `/metrics`
answered (curl every 10 ms). Idle memory is read after start and
after {args.idle_scrapes} scrapes at that baseline. The namespace then grows to each size (holder
processes, as in the inventory benchmark) and each exporter is scraped in turn: 2 unmeasured
scrapes, then {args.scrapes} sequential scrapes over one keep-alive connection with Prometheus'
headers (`Accept-Encoding: gzip`), timed to the last body byte from inside the namespace
(`bench/lib/scrapeloop.py`). CPU per scrape is the exporter's utime+stime delta over the loop
(`/proc/<pid>/stat`); memory is `/proc/<pid>/status` after the loop. `ss -tanp` / `ss -tan` at
{ss['held']:,} sockets: {ss['tanp']['median_ms']:.1f} / {ss['tan']['median_ms']:.1f} ms (median of {args.ss_runs}).

{latency}

Memory (MB, RssAnon / VmRSS):

{mem}

{verdicts}
"""
print(body)
if not args.no_write:
    b.write_section("scrape", body)
    print(f"scrape: wrote {b.RESULTS}", file=sys.stderr)
