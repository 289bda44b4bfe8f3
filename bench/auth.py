"""Brute force against basic auth, throttle off, on without the tarpit, and on as by default,
with valid scrapes from another address.

Each mode gets two fresh network namespaces joined by a veth pair: the exporter's (it listens on
10.201.0.1, plain HTTP: TLS would add the same handshake cost to every variant) and the clients'
(attackers on 10.201.0.2, the scraper on 10.201.0.3). Kept apart, the attackers' closed
connections (TIME_WAIT, tens of thousands without the tarpit) stay on their side, as they would on
an attacker's host, instead of filling the inventory the scrapes report; and no mode inherits the
last one's. Attackers: 8 threads, each request a distinct wrong password on a new connection.
Scraper: one thread with the right password, sequential scrapes of /metrics. Reported: attacker
tries/s and answers, bcrypt runs (the exporter's own counter), the exporter's CPU time during the
attack, valid-scrape latency alone and under attack. The client side runs as
`auth.py --client PID` inside the clients' namespace.
"""
import base64, crypt, http.client, json, os, re, statistics, subprocess, sys, tempfile, threading, time

DLL = "src/ConnExporter/bin/Release/net10.0/conn-exporter.dll"
PORT = 19891
ATTACK_SECONDS = 10
PASSWORD = "bench-right-password"
SERVER, ATTACKER, SCRAPER = "10.201.0.1", "10.201.0.2", "10.201.0.3"


def request(source, password):
    c = http.client.HTTPConnection(SERVER, PORT, timeout=30, source_address=(source, 0))
    token = base64.b64encode(f"prometheus:{password}".encode()).decode()
    t = time.perf_counter()
    c.request("GET", "/metrics", headers={"Authorization": "Basic " + token})
    r = c.getresponse(); body = r.read(); c.close()
    return r.status, time.perf_counter() - t, body


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


MODES = [
    ("off (`failures: 0`)", "auth_throttle:\n  failures: 0\n"),
    ("on, no tarpit (`blocked_delay: 0s`)", "auth_throttle:\n  blocked_delay: 0s\n"),
    ("on (default: `blocked_delay: 1s`)", ""),
]


def client(exporter_pid):
    """The attack and the scrapes, run inside the clients' namespace; prints its figures as JSON."""
    for _ in range(300):
        try:
            request(SCRAPER, PASSWORD); break
        except OSError:
            time.sleep(0.1)
    alone = [request(SCRAPER, PASSWORD)[1] for _ in range(30)]
    stop = threading.Event(); answers = {}; lock = threading.Lock(); tries = [0]
    def attack(k):
        i = 0
        while not stop.is_set():
            status = request(ATTACKER, f"wrong-{k}-{i}")[0]; i += 1
            with lock:
                answers[status] = answers.get(status, 0) + 1; tries[0] += 1
    threads = [threading.Thread(target=attack, args=(k,)) for k in range(8)]
    cpu0 = cpu_seconds(exporter_pid); t0 = time.perf_counter()
    for t in threads: t.start()
    under = []
    while time.perf_counter() - t0 < ATTACK_SECONDS:
        status, latency, _ = request(SCRAPER, PASSWORD)
        if status != 200: raise SystemExit(f"valid scrape answered {status}")
        under.append(latency)
    stop.set()
    for t in threads: t.join()
    elapsed = time.perf_counter() - t0; cpu = cpu_seconds(exporter_pid) - cpu0
    body = request(SCRAPER, PASSWORD)[2].decode()
    runs = re.search(r"^conn_exporter_auth_bcrypt_runs_total (\S+)", body, re.M)
    print(json.dumps(dict(alone=alone, under=under, scrapes=len(under), tries=tries[0], rate=tries[0] / elapsed,
                          answers={str(k): v for k, v in answers.items()}, cpu=cpu, elapsed=elapsed,
                          bcrypt=float(runs.group(1)) if runs else float("nan"))))


def sh(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


def run(throttle, hashed):
    tag = f"{os.getpid()}"
    srv, cli = f"cxauth-srv-{tag}", f"cxauth-cli-{tag}"
    d = tempfile.mkdtemp()
    cfg = os.path.join(d, "web.yml")
    with open(cfg, "w") as f:
        f.write(f"basic_auth_users:\n  prometheus: '{hashed}'\n" + throttle)
    p = None
    try:
        sh("ip", "netns", "add", srv); sh("ip", "netns", "add", cli)
        sh("ip", "link", "add", "cxauth-s", "netns", srv, "type", "veth", "peer", "name", "cxauth-c", "netns", cli)
        sh("ip", "-n", srv, "addr", "add", f"{SERVER}/24", "dev", "cxauth-s")
        sh("ip", "-n", cli, "addr", "add", f"{ATTACKER}/24", "dev", "cxauth-c")
        sh("ip", "-n", cli, "addr", "add", f"{SCRAPER}/24", "dev", "cxauth-c")
        for ns, dev in ((srv, "cxauth-s"), (cli, "cxauth-c")):
            sh("ip", "-n", ns, "link", "set", "lo", "up"); sh("ip", "-n", ns, "link", "set", dev, "up")
        p = subprocess.Popen(["ip", "netns", "exec", srv, "dotnet", DLL, f"--web.listen-address={SERVER}:{PORT}",
                              f"--web.config.file={cfg}", "--no-collector.ebpf", "--no-collector.netns"], stderr=subprocess.DEVNULL)
        out = subprocess.run(["ip", "netns", "exec", cli, sys.executable, os.path.abspath(__file__), "--client", str(p.pid)],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        r["answers"] = {int(k): v for k, v in r["answers"].items()}
        return r
    finally:
        if p is not None:
            p.terminate(); p.wait()
        subprocess.run(["ip", "netns", "delete", srv], capture_output=True)
        subprocess.run(["ip", "netns", "delete", cli], capture_output=True)


def ms(xs, q):
    xs = sorted(xs); return 1000 * xs[min(len(xs) - 1, int(q * len(xs)))]


def shows(runs):
    """What the run shows, in words, from its own figures."""
    off, bare, tarpit = runs
    med = lambda r, k: ms(r[k], .5)
    return [
        f"What it shows: throttle off, every guess runs bcrypt ({off['bcrypt']:.0f} runs, one at a time), and",
        f"valid scrapes take {med(off, 'under'):.1f} ms median against {med(off, 'alone'):.1f} alone: bcrypt holds one core,",
        "and a cached valid credential never waits for it. The exporter CPU column counts the valid",
        f"scrapes too ({off['scrapes']} of them, back to back, each building the whole exposition), which is why it",
        f"exceeds one core there. The throttle without the tarpit stops bcrypt ({bare['bcrypt']:.0f} runs) but lets the attacker",
        f"send {bare['rate']:.0f} cheap requests a second: valid scrapes take {med(bare, 'under'):.1f} ms against {med(bare, 'alone'):.1f}.",
        f"With the default `blocked_delay` each attacking connection gets one answer a second ({tarpit['rate']:.0f}/s in",
        f"all, {tarpit['bcrypt']:.0f} bcrypt runs), and valid scrapes take {med(tarpit, 'under'):.1f} ms against {med(tarpit, 'alone'):.1f} alone.",
    ]


def main():
    hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))
    rows = []
    runs = []
    for name, throttle in MODES:
        r = run(throttle, hashed)
        runs.append(r)
        rows.append(f"| {name} | {r['tries']} ({r['rate']:.0f}/s) | "
                    f"{', '.join(f'{k}×{v}' for k, v in sorted(r['answers'].items()))} | {r['bcrypt']:.0f} | "
                    f"{r['cpu']:.2f} s of {r['elapsed']:.1f} s | {ms(r['alone'], .5):.1f} / {ms(r['alone'], .95):.1f} | "
                    f"{ms(r['under'], .5):.1f} / {ms(r['under'], .95):.1f} ({len(r['under'])}) |")
        print(rows[-1], flush=True)
    load = os.getloadavg()[0]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    section = "\n".join([
        "<!-- auth:begin -->",
        "## Auth: a brute force against basic auth, throttle off and on (bench/auth.sh)",
        "",
        f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {os.cpu_count()} cores · commit {commit} · load average {load:.2f} at start",
        "",
        f"bcrypt cost 10, JIT build, plain HTTP over a veth pair between two fresh namespaces per mode (the",
        f"attackers' TIME_WAIT sockets stay on their side). {ATTACK_SECONDS} s of 8 attacker threads from {ATTACKER}, each request a",
        f"distinct wrong password on a new connection, while one client on {SCRAPER} scrapes `/metrics`",
        "back to back with the right one. bcrypt runs: the exporter's `conn_exporter_auth_bcrypt_runs_total`",
        "at the end (the scraper's first login included). Exporter CPU: user + system of the exporter",
        "during the attack, the valid scrapes included (each builds the whole exposition). Latency: ms",
        "median / p95 (n under attack). The attackers, the scraper and the exporter share the 2 cores.",
        "",
        "| throttle | attacker tries | answers | bcrypt runs | exporter CPU | valid scrape alone | valid scrape under attack |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        *shows(runs),
        "<!-- auth:end -->",
    ])
    path = "bench/RESULTS.md"
    text = open(path).read()
    if "<!-- auth:begin -->" in text:
        text = re.sub(r"<!-- auth:begin -->.*?<!-- auth:end -->", lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    if "--no-write" not in sys.argv:
        open(path, "w").write(text)


if len(sys.argv) > 2 and sys.argv[1] == "--client":
    client(int(sys.argv[2]))
else:
    main()
