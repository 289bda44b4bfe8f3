#!/usr/bin/env python3
"""Inventory benchmark: our InventoryCollector against `ss`, in the same namespace and run.

Run through bench/inventory.sh (it builds Release first). For each size it grows one
namespace to that many TCP sockets, then runs bench/ConnExporter.Bench inside it twice:
without owners (paired with `ss -tan`) and with owners (paired with `ss -tanp`). The bench
program interleaves ss runs with our Take() calls round by round, so both see the same load.
Rewrites the inventory section of bench/RESULTS.md.
"""
import argparse, json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import benchlib as b

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--sizes", default="10000,40000", help="socket counts, comma-separated")
p.add_argument("--rounds", type=int, default=11,
               help="rounds of (ss, fresh collector Take, reused collector Take); medians over them")
p.add_argument("--max-busy", type=float, default=0.3,
               help="before each measurement wait until other work uses at most this CPU fraction (0: don't)")
p.add_argument("--quiet-timeout", type=int, default=120, help="longest wait for --max-busy, seconds")
p.add_argument("--tcp-info", action="store_true",
               help="ask the kernel for tcp_info too (as the exporter's tcpinfo collector does); ss is not")
p.add_argument("--cpu", type=int, default=(os.cpu_count() or 1) - 1,
               help="pin the measuring thread, and so every ss it starts, to this CPU (-1: don't); "
                    "the runtime's helper threads stay free")
p.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
args = p.parse_args()
if args.rounds < 10:
    sys.exit("inventory: --rounds must be at least 10 (median of ≥ 10 steady Take, ≥ 5 ss runs)")

BENCH_DLL = os.path.join(b.BENCH, "ConnExporter.Bench/bin/Release/net10.0/conn-exporter-bench.dll")
if not os.path.exists(BENCH_DLL):
    sys.exit(f"inventory: {BENCH_DLL} missing; run bench/inventory.sh (it builds it)")

b.remove_stale_namespaces()
facts = b.machine_facts()
scenario = b.Scenario("inv")
results = []
for size in (int(s) for s in args.sizes.split(",")):
    held = scenario.grow(size)
    print(f"inventory: {held} TCP sockets in {scenario.name} ({scenario.holders} holders)", file=sys.stderr)

    def measure(owners):
        out = os.path.join(scenario.workdir, "bench.json")
        b.wait_for_quiet(args.max_busy, args.quiet_timeout)
        scenario.run_quiet("dotnet", BENCH_DLL, f"--owners={'true' if owners else 'false'}",
                           "--kinds=tcp", f"--rounds={args.rounds}", f"--out={out}",
                           f"--tcp-info={'true' if args.tcp_info else 'false'}", f"--cpu={args.cpu}")
        with open(out) as f:
            return json.load(f)

    row = {"size": size, "held": held, "plain": measure(False), "owners": measure(True)}
    results.append(row)
    print(json.dumps(row), file=sys.stderr)
scenario.close()

TARGETS = [  # (label, measurement, field, max ratio to its ss)
    ("without owners, cold ≤ 0.5× `ss -tan`", "plain", "cold_ms", 0.5),
    ("with owners, cold ≤ 0.5× `ss -tanp`", "owners", "cold_ms", 0.5),
    ("with owners, steady ≤ 0.25× `ss -tanp`", "owners", "steady_ms", 0.25),
]

rows = []
for r in results:
    for key, what in (("plain", "without owners"), ("owners", "with owners")):
        o = r[key]
        s = o["ss_ms"]
        rows.append([f"{r['held']:,}", what,
                     f"`ss {o['ss_args']}` {s:.1f} ({min(o['ss_samples_ms']):.0f}–{max(o['ss_samples_ms']):.0f})",
                     f"{o['source_ms']:.1f} ({o['source_ms'] / s:.2f}×)",
                     f"{o['first_ms']:.1f}", f"{o['cold_ms']:.1f}", f"{o['steady_ms']:.1f}",
                     f"{o['cold_ms'] / s:.2f}×", f"{o['steady_ms'] / s:.2f}×",
                     f"{o['alloc_bytes_per_steady_take'] / 1048576:.1f}"])
timing = b.table(["TCP sockets", "ours", "ss median ms (min–max)", "dump + parse ms (/ ss)", "first Take ms", "cold ms",
                  "steady ms", "cold / ss", "steady / ss", "MB allocated per steady Take"], rows)

trows = []
for label, key, field, limit in TARGETS:
    for r in results:
        ratio = r[key][field] / r[key]["ss_ms"]
        trows.append([label, f"{r['held']:,}", f"{ratio:.2f}×", b.verdict(ratio <= limit)])
verdicts = b.table(["target", "TCP sockets", "ratio", "result"], trows)

body = f"""## Inventory: `InventoryCollector.Take()` vs `ss`

Run: {b.facts_line(facts)}

Reproduce (root): `bench/inventory.sh --sizes {args.sizes} --rounds {args.rounds}{' --tcp-info' if args.tcp_info else ''}{f' --cpu {args.cpu}' if args.cpu != (os.cpu_count() or 1) - 1 else ''}`

One network namespace (loopback only), grown to each size by holder processes (≤ {b.PER_HOLDER}
sockets each; IPv4 and IPv6 established loopback pairs plus one listener per holder). Inside it,
`bench/ConnExporter.Bench` (Release, public API, netlink source, TCP only like `ss -t`, {'with' if args.tcp_info else 'without'} tcp_info) runs
{args.rounds} rounds of: `ss` as a whole command (output to /dev/null), then in an order that rotates
each round (so none always follows `ss` or another's garbage) a fresh collector's first `Take()`,
the bare source read and one more `Take()` on a reused collector. {f'The measuring thread is pinned to CPU {args.cpu}, and every `ss` it starts inherits that: both run on the same CPU and caches, while the runtime helper threads (JIT, GC) may use the other CPUs.' if args.cpu >= 0 else 'Nothing is pinned: the scheduler places `ss` and the measuring thread.'} Medians over the rounds. *first Take* is the
first of a new process (JIT included); *cold* is a fresh collector (empty caches, JIT warm);
*steady* is the reused collector (caches warm). *dump + parse* is the netlink source's bare
`Read()` in the same rounds (the kernel's dump and our parsing, nothing else): the floor under
any `Take()`. Before each measurement the script waits (up to
{args.quiet_timeout} s) until other work uses ≤ {args.max_busy:.0%} of the CPUs: the machine may be shared.

{timing}

{verdicts}
"""
print(body)
if not args.no_write:
    b.write_section("inventory", body)
    print(f"inventory: wrote {b.RESULTS}", file=sys.stderr)
