#!/usr/bin/env python3
"""Command benchmark: `conn-exporter connections` (the shipped Native AOT binary) against `ss`,
as a user runs them, in the same namespace and rounds.

Run through bench/command.sh (it publishes the binary first). For each size it grows one
namespace to that many TCP sockets (holder processes, as in the inventory benchmark), then
bench/lib/pipecmd.py runs, round by round in rotating order, `ss -tan`, `ss -tanp` and our
command without and with owners, as a table and as JSON, plus the JIT build for reference:
each a whole process, its output read through a pipe to the end. Rewrites the command
section of bench/RESULTS.md.
"""
import argparse, json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import benchlib as b

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--binary", required=True, help="the Native AOT conn-exporter executable")
p.add_argument("--sizes", default="10000,40000,100000", help="socket counts, comma-separated")
p.add_argument("--rounds", type=int, default=11, help="rounds per size; medians over them")
p.add_argument("--ssp-rounds", type=int, default=3,
               help="rounds of `ss -tanp` beyond 20k sockets (it takes many seconds there)")
p.add_argument("--max-busy", type=float, default=0.3,
               help="before each size wait until other work uses at most this CPU fraction (0: don't)")
p.add_argument("--quiet-timeout", type=int, default=120, help="longest wait for --max-busy, seconds")
p.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
args = p.parse_args()

JIT_DLL = os.path.join(b.REPO, "src/ConnExporter/bin/Release/net10.0/conn-exporter.dll")
aot = os.path.abspath(args.binary)
# The namespace `ss` reads, and only it: the same work. (The default, --netns all, also reads
# every other namespace on the machine: containers, other benchmarks.)
ours = ["connections", "--protocol", "tcp", "--netns", "host"]

b.remove_stale_namespaces()
facts = b.machine_facts()
scenario = b.Scenario("cmd")
results = []
for size in (int(s) for s in args.sizes.split(",")):
    held = scenario.grow(size)
    print(f"command: {held} TCP sockets in {scenario.name} ({scenario.holders} holders)", file=sys.stderr)
    few = max(3, args.rounds // 3)
    commands = {
        "ss -tan": {"argv": ["ss", "-tan"]},
        "ss -tanp": {"argv": ["ss", "-tanp"], "rounds": args.rounds if size <= 20000 else args.ssp_rounds},
        "table": {"argv": [aot, *ours, "--no-owners"]},
        "table+owners": {"argv": [aot, *ours]},
        "json": {"argv": [aot, *ours, "--no-owners", "--output", "json"]},
        "json+owners": {"argv": [aot, *ours, "--output", "json"]},
        "jit table": {"argv": ["dotnet", JIT_DLL, *ours, "--no-owners"], "rounds": few},
        "jit table+owners": {"argv": ["dotnet", JIT_DLL, *ours], "rounds": few},
    }
    spec = os.path.join(scenario.workdir, "spec.json")
    with open(spec, "w") as f:
        json.dump({"commands": commands}, f)
    b.wait_for_quiet(args.max_busy, args.quiet_timeout)
    m = json.loads(scenario.exec("python3", os.path.join(b.LIB, "pipecmd.py"), str(args.rounds), spec))
    results.append({"size": size, "held": held, "m": m})
    print(json.dumps(results[-1]), file=sys.stderr)
scenario.close()


def cell(r, name):
    x = r["m"][name]
    return f"{x['median_ms']:.1f} ({x['min_ms']:.0f}–{x['max_ms']:.0f})"


rows = []
for r in results:
    m = r["m"]
    for name, ss in (("table", "ss -tan"), ("json", "ss -tan"), ("jit table", "ss -tan"),
                     ("table+owners", "ss -tanp"), ("json+owners", "ss -tanp"), ("jit table+owners", "ss -tanp")):
        rows.append([f"{r['held']:,}", f"`{name}`", cell(r, name), f"`{ss}` {cell(r, ss)}",
                     f"{m[name]['median_ms'] / m[ss]['median_ms']:.2f}×", f"{m[name]['max_rss_mb']:.1f}",
                     f"{m[ss]['max_rss_mb']:.1f}", f"{m[name]['bytes'] / 1048576:.1f}"])
timing = b.table(["TCP sockets", "ours", "ours ms median (min–max)", "ss ms median (min–max)", "ours / ss",
                  "ours peak RSS MB", "ss peak RSS MB", "output MiB"], rows)

TARGETS = [
    ("without owners ≤ 0.5× `ss -tan`", "table", "ss -tan", 0.5),
    ("with owners ≤ 0.25× `ss -tanp`", "table+owners", "ss -tanp", 0.25),
    ("JSON ≤ 1.5× table, without owners", "json", "table", 1.5),
    ("JSON ≤ 1.5× table, with owners", "json+owners", "table+owners", 1.5),
]
trows = []
for label, ours_name, base, limit in TARGETS:
    for r in results:
        ratio = r["m"][ours_name]["median_ms"] / r["m"][base]["median_ms"]
        trows.append([label, f"{r['held']:,}", f"{ratio:.2f}×", b.verdict(ratio <= limit)])
for r in results:
    if r["size"] >= 100000:
        peak = max(r["m"][n]["max_rss_mb"] for n in ("table", "table+owners", "json", "json+owners"))
        trows.append(["peak RSS ≤ 40 MB (every AOT command)", f"{r['held']:,}", f"{peak:.1f} MB", b.verdict(peak <= 40)])
targets = b.table(["target", "TCP sockets", "measured", "result"], trows)

sizes = ",".join(str(r["size"]) for r in results)
body = f"""## Command: `conn-exporter connections` vs `ss`, whole processes

Run: {b.facts_line(facts)}

Reproduce (root): `bench/command.sh --sizes {sizes} --rounds {args.rounds}`

One network namespace (loopback only) grown to each size by holder processes (≤ 5000 sockets
each, IPv4 and IPv6 established loopback pairs plus a listener per holder; the open-file hard
limit is 20000 per process). Every command is a whole process as a user runs it — the shipped
Native AOT binary (`dotnet publish -c Release src/ConnExporter`), `connections --protocol tcp
--netns host` (TCP only, as `ss -t`, and only the namespace `ss` reads), or the JIT build as `dotnet conn-exporter.dll` for reference — with its
output read through a pipe to the end (`bench/lib/pipecmd.py`): wall time from fork to reaped,
peak RSS from `wait4`. One warm-up run each, then {args.rounds} rounds in rotating order
(`ss -tanp` only {args.ssp_rounds} beyond 20k sockets, the JIT build a third as often). Medians.
`table`/`json` are without owners (`--no-owners`), against `ss -tan`; `+owners` resolve
owning processes, against `ss -tanp`.

{timing}

{targets}
"""
print(body)
if not args.no_write:
    b.write_section("command", body)
