#!/usr/bin/env python3
"""The /connections page at scale: the real exporter and Debian's headless chromium inside a
namespace holding 10k and 40k TCP sockets; the page's own timings (window.connTimings) and the
time from an interaction to the next painted frame, measured in the browser.

Run through bench/webui.sh (it builds Release). Chromium is driven over the DevTools pipe
(fd 3 commands, fd 4 replies, NUL-separated JSON), as the browser tests do.
"""
import argparse, json, os, statistics, subprocess, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import benchlib as b

p = argparse.ArgumentParser()
p.add_argument("--sizes", default="10000,40000")
p.add_argument("--rounds", type=int, default=5)
p.add_argument("--max-busy", type=float, default=0.3)
p.add_argument("--quiet-timeout", type=float, default=120)
p.add_argument("--no-write", action="store_true")
args = p.parse_args()

DLL = os.path.join(b.REPO, "src/ConnExporter/bin/Release/net10.0/conn-exporter.dll")
PORT = 19830
BUDGET_MS = 100   # an interaction answered within 100 ms feels immediate (RAIL's response goal)
LOAD_BUDGET_MS = 1000

b.remove_stale_namespaces()
facts = b.machine_facts()
facts["chromium"] = b.sh("chromium", "--version").strip()
scenario = b.Scenario("webui")


class DevTools:
    """Chromium in the namespace; commands on its fd 3, replies on its fd 4."""

    def __init__(self):
        profile = os.path.join(scenario.workdir, "chromium")
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--remote-debugging-pipe", "--window-size=1280,800",
                 f"--user-data-dir={profile}", "about:blank"]
        self.proc = scenario.start("sh", "-c", 'exec chromium "$@" 3<&0 4>&1 0</dev/null 1>/dev/null', "chromium", *flags,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.next_id, self.buffer, self.events = 0, b"", []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for m in ("Page.enable", "Runtime.enable"):
            self.send(m, session=True)
        self.send("Emulation.setDeviceMetricsOverride", session=True, width=1280, height=800, deviceScaleFactor=1, mobile=False)

    def send(self, method, session=False, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        self.proc.stdin.write(json.dumps(msg).encode() + b"\0")
        self.proc.stdin.flush()
        while True:
            reply = self.read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def read(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        msg, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(msg)

    def eval(self, expression):
        r = self.send("Runtime.evaluate", session=True, expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"page threw: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait(self, expression, timeout=120):
        deadline = time.monotonic() + timeout
        while not self.eval(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(expression)
            time.sleep(0.05)


# Time from starting an interaction to the next frame painted after it (script, style, layout).
TO_FRAME = """(async () => {{
  const t0 = performance.now();
  {action};
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - t0;
}})()"""


def interaction(dt, action):
    return dt.eval(TO_FRAME.format(action=action))


def set_input(id_, value):
    return (f"(() => {{ const e = document.getElementById({json.dumps(id_)}); e.value = {json.dumps(value)}; "
            "e.dispatchEvent(new Event('change')); })()")


exporter = scenario.start("dotnet", DLL, f"--web.listen-address=127.0.0.1:{PORT}", "--no-collector.netns", "--log.level=warn",
                          stdout=subprocess.DEVNULL)
deadline = time.monotonic() + 60
while subprocess.run(["ip", "netns", "exec", scenario.name, "curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{PORT}/-/ready"]).returncode:
    if exporter.poll() is not None or time.monotonic() > deadline:
        sys.exit("webui: the exporter did not become ready")
    time.sleep(0.2)
dt = DevTools()
base = f"http://127.0.0.1:{PORT}"

results = {}
for size in [int(s) for s in args.sizes.split(",")]:
    held = scenario.grow(size)
    sizes = {}
    for enc, extra in (("identity", []), ("gzip", ["--compressed"])):
        out = scenario.exec("curl", "-s", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", *extra, f"{base}/api/v1/connections")
        n, t = out.split()
        sizes[enc] = {"bytes": int(n), "seconds": float(t)}
    rounds = []
    for r in range(args.rounds):
        b.wait_for_quiet(args.max_busy, args.quiet_timeout)
        # From a blank page each time: a change of the hash alone would not reload the document.
        dt.send("Page.navigate", session=True, url="about:blank")
        dt.wait("location.href === 'about:blank'")
        t0 = time.monotonic()
        dt.send("Page.navigate", session=True, url=f"{base}/connections#refresh=0")
        dt.wait("!!(document.getElementById('taken') && document.getElementById('taken').dataset.takenAt)")
        first_load = (time.monotonic() - t0) * 1000
        shown = dt.eval("document.getElementById('counts').textContent")
        first = dt.eval("({...window.connTimings})")
        taken = dt.eval("document.getElementById('taken').dataset.takenAt")
        t0 = time.monotonic()
        dt.eval("document.getElementById('refresh').click()")
        dt.wait(f"document.getElementById('taken').dataset.takenAt !== {json.dumps(taken)}")
        refresh = (time.monotonic() - t0) * 1000
        warm = dt.eval("({...window.connTimings})")
        # The collection the refresh joined (kernel dump + owners), from the exporter's own health.
        health = json.loads(scenario.exec("curl", "-s", f"{base}/health"))
        collect_ms = health["collectors"]["inventory"]["duration_seconds"] * 1000
        m = {
            "load_ms": first_load, "refresh_ms": refresh,
            "fetch_ms": warm["fetch"], "collect_ms": collect_ms, "parse_ms": warm["parse"], "prepare_ms": warm["prepare"],
            "view_ms": warm["view"], "render_ms": warm["render"], "first": first,
            "search_ms": interaction(dt, set_input("q", "127.0.0.1:2")),
            "search_clear_ms": interaction(dt, set_input("q", "")),
            "state_ms": interaction(dt, set_input("state", "LISTEN")),
            "state_clear_ms": interaction(dt, set_input("state", "")),
            "sort_ms": interaction(dt, "document.querySelector('#head th[data-col=peer]').click()"),
            "scroll_ms": interaction(dt, "document.getElementById('viewport').scrollTop = document.getElementById('viewport').scrollHeight / 2"),
            "group_process_ms": interaction(dt, "document.querySelector('button[data-view=processes]').click()"),
            "group_peers_ms": interaction(dt, "document.querySelector('button[data-view=peers]').click()"),
            "listeners_ms": interaction(dt, "document.querySelector('button[data-view=listeners]').click()"),
            "back_ms": interaction(dt, "document.querySelector('button[data-view=sockets]').click()"),
            "dom_rows": dt.eval("document.querySelectorAll('#body tr.row').length"),
            "heap_mb": dt.eval("performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null"),
            "shown": shown,
        }
        rounds.append(m)
        print(f"webui: {size} round {r}: {json.dumps({k: v for k, v in m.items() if k != 'first'})}", file=sys.stderr)
    med = {k: statistics.median(x[k] for x in rounds) for k in rounds[0] if isinstance(rounds[0][k], (int, float))}
    results[size] = {"held": held, "median": med, "sizes": sizes, "shown": rounds[-1]["shown"]}

interactions = ["search_ms", "search_clear_ms", "state_ms", "state_clear_ms", "sort_ms", "scroll_ms",
                "group_process_ms", "group_peers_ms", "listeners_ms", "back_ms"]
names = {"search_ms": "type a search", "search_clear_ms": "clear it", "state_ms": "state = LISTEN",
         "state_clear_ms": "state = any", "sort_ms": "sort by peer", "scroll_ms": "scroll to the middle",
         "group_process_ms": "group by process", "group_peers_ms": "group by peer", "listeners_ms": "listeners view",
         "back_ms": "back to all sockets"}
f = lambda v: f"{v:.0f}" if v >= 10 else f"{v:.1f}"
load = b.table(["TCP sockets", "API body (identity / gzip)", "page load to table shown", "refresh (fetch · parse · prepare · filter+sort · render)", "of the fetch: collection", "rows in the DOM", "JS heap MB"],
               [[f"{r['held']:,}", f"{r['sizes']['identity']['bytes'] / 1e6:.1f} MB / {r['sizes']['gzip']['bytes'] / 1e6:.2f} MB",
                 f"{f(r['median']['load_ms'])} ms",
                 f"{f(r['median']['refresh_ms'])} ms ({f(r['median']['fetch_ms'])} · {f(r['median']['parse_ms'])} · {f(r['median']['prepare_ms'])} · {f(r['median']['view_ms'])} · {f(r['median']['render_ms'])})",
                 f"{f(r['median']['collect_ms'])} ms", f"{r['median']['dom_rows']:.0f}", f"{r['median']['heap_mb']:.0f}" if r['median'].get('heap_mb') else "n/a"]
                for r in results.values()])
inter = b.table(["interaction"] + [f"{r['held']:,} sockets, ms to next frame" for r in results.values()],
                [[names[k]] + [f(r["median"][k]) for r in results.values()] for k in interactions])
largest = results[max(results)]
worst = max(largest["median"][k] for k in interactions)
verdicts = b.table(["target", "measured at " + f"{largest['held']:,}", "verdict"], [
    [f"every interaction ≤ {BUDGET_MS} ms to the next frame", f"slowest {f(worst)} ms", b.verdict(worst <= BUDGET_MS)],
    [f"a refresh (fetch to painted table) ≤ {LOAD_BUDGET_MS} ms", f"{f(largest['median']['refresh_ms'])} ms", b.verdict(largest['median']['refresh_ms'] <= LOAD_BUDGET_MS)],
])
body = f"""## Web UI: `/connections` at 10k and 40k sockets

Run: {b.facts_line(facts)} · {facts['chromium']} (headless, 1280×800)

`bench/webui.sh`: the exporter (default collectors, owners resolved, `--no-collector.netns`) and
Debian's headless chromium run in one namespace that holds the benchmark's TCP sockets (holder
processes, as in the inventory benchmark). For each size, {args.rounds} rounds of: load the page
(`#refresh=0`), refresh once (the page's own `window.connTimings` split the refresh), then one
interaction after another, each timed in the page from its start to the next painted frame
(`requestAnimationFrame` then a task). Medians. The page renders only the rows in view plus 12
above and below (virtual scrolling), so the DOM stays at the size in the table whatever the
socket count; filtering, sorting and grouping run over the whole array in JavaScript.

{load}

{inter}

{verdicts}

The API body is the `connections --output json` array, compact (the command's writer, streamed);
`fetch` is from the request to the whole body in the page: the exporter's collection (kernel dump
and owners, the column "of the fetch: collection", which a scrape pays as well), writing and
gzipping the JSON, and the transfer over loopback.
"""
print(body)
if not args.no_write:
    b.write_section("webui", body)
