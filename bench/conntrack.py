#!/usr/bin/env python3
"""Conntrack benchmark: what `--conntrack` adds to `conn-exporter connections` (the shipped Native
AOT binary) at many destination-NATed connections, against `ss -tan` in the same rounds.

Run through bench/conntrack.sh (it publishes the binary first). In a namespace of its own, an
iptables DNAT rule sends 10.96.0.10 (any port, like a Kubernetes Service VIP) to 127.0.0.1;
holder processes connect N clients to the VIP (N translated conntrack entries, 2N sockets).
bench/lib/pipecmd.py then runs, round by round in rotating order, `ss -tan` and our command
without and with --conntrack (table, and JSON with it): whole processes, output read through
a pipe to the end. The difference of the medians is the conntrack dump plus the lookups.
Rewrites the conntrack section of bench/RESULTS.md.
"""
import argparse, json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import benchlib as b

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--binary", required=True, help="the Native AOT conn-exporter executable")
p.add_argument("--sizes", default="1000,5000,10000", help="translated connections, comma-separated")
p.add_argument("--rounds", type=int, default=11, help="rounds per size; medians over them")
p.add_argument("--max-busy", type=float, default=0.3,
               help="before each size wait until other work uses at most this CPU fraction (0: don't)")
p.add_argument("--quiet-timeout", type=int, default=120, help="longest wait for --max-busy, seconds")
p.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
args = p.parse_args()

VIP = "10.96.0.10"
aot = os.path.abspath(args.binary)
ours = [aot, "connections", "--protocol", "tcp", "--netns", "host", "--no-owners"]

b.remove_stale_namespaces()
facts = b.machine_facts()
buckets = int(open("/proc/sys/net/netfilter/nf_conntrack_buckets").read())
scenario = b.Scenario("ct")
# The VIP is assigned nowhere: a local route lets connect() leave, nat/OUTPUT rewrites it.
scenario.exec("ip", "route", "add", "local", f"{VIP}/32", "dev", "lo")
scenario.exec("iptables", "-t", "nat", "-A", "OUTPUT", "-d", VIP, "-p", "tcp", "-j", "DNAT", "--to-destination", "127.0.0.1")
rows = []
for size in (int(s) for s in args.sizes.split(",")):
    held = scenario.grow(2 * size + 1, connect_to=lambda port: f"{VIP}:{port}")
    entries = int(scenario.exec("python3", "-c", f"print(sum('dst={VIP} ' in l for l in open('/proc/net/nf_conntrack')))"))
    print(f"conntrack: {held} TCP sockets, {entries} conntrack entries to the VIP in {scenario.name}", file=sys.stderr)
    commands = {
        "ss -tan": {"argv": ["ss", "-tan"]},
        "table": {"argv": ours},
        "table --conntrack": {"argv": [*ours, "--conntrack"]},
        "json --conntrack": {"argv": [*ours, "--conntrack", "--output", "json"]},
    }
    spec = os.path.join(scenario.workdir, "spec.json")
    with open(spec, "w") as f:
        json.dump({"commands": commands}, f)
    b.wait_for_quiet(args.max_busy, args.quiet_timeout)
    m = json.loads(scenario.exec("python3", os.path.join(b.LIB, "pipecmd.py"), str(args.rounds), spec))
    # Every translated connection shows its actual destination: the feature worked while timed.
    out = json.loads(scenario.exec(*ours, "--conntrack", "--output", "json"))
    translated = sum(1 for c in out if c.get("actual_remote_address") == "127.0.0.1" and c.get("remote_address") == VIP)
    ss, plain, ct = (m[k]["median_ms"] for k in ("ss -tan", "table", "table --conntrack"))
    added = ct - plain
    rows.append([f"{size:,}", f"{entries:,}", f"{translated:,}", f"{held:,}",
                 f"{ss:.1f}", f"{plain:.1f} ({plain / ss:.2f}×)", f"{ct:.1f} ({ct / ss:.2f}×)",
                 f"{added:+.1f}", f"{1e6 * added / size:+.0f}", f"{m['json --conntrack']['median_ms']:.1f}",
                 f"{m['table --conntrack']['max_rss_mb']:.1f}"])
    print(" | ".join(str(c) for c in rows[-1]), file=sys.stderr)
scenario.close()

body = "\n".join([
    "## Conntrack: what `--conntrack` costs the command (bench/conntrack.sh)",
    "",
    f"Run: {b.facts_line(facts)}",
    "",
    f"Reproduce (root): `bench/conntrack.sh --sizes {args.sizes} --rounds {args.rounds}`. In a namespace of its own, a DNAT",
    f"rule sends {VIP} to 127.0.0.1; N clients connect to the VIP (N translated entries, 2N sockets).",
    "Whole processes as a user runs them (Native AOT, `--no-owners --netns host --protocol tcp`, output to a",
    "pipe), medians of the rounds, in rotating order with `ss -tan`. *Added* is the median with",
    "`--conntrack` minus the one without: one ctnetlink dump of the translated entries (the kernel",
    "filters on IPS_DST_NAT) and a hash lookup per connected socket. *Translated*: connections whose",
    "JSON showed the listener as `actual_remote_address` in a run after the timing.",
    "",
    b.table(["translated connections", "conntrack entries to the VIP", "translated in output", "TCP sockets",
             "`ss -tan` ms", "table ms (/ ss)", "table --conntrack ms (/ ss)", "added ms", "added µs per 1,000 entries",
             "json --conntrack ms", "peak RSS MB with --conntrack"], rows),
    "",
    f"The kernel's dump walks the whole conntrack hash table ({buckets:,} buckets here, shared by every",
    "namespace) whatever this namespace holds, so part of *added* is fixed. The exporter pays the same",
    "dump once per collection with `--collector.conntrack`.",
])
print(body)
if not args.no_write:
    b.write_section("conntrack", body)
