// conn-exporter /connections: fetches api/v1/connections (the `connections --output json`
// array), filters, sorts and groups it in the browser, and renders only the rows in view
// (virtual scrolling), so 40k sockets stay responsive. No framework, no external resource;
// every value reaches the DOM through textContent (process names are arbitrary bytes).
"use strict";

(() => {
  const ROW = 24;          // px, as --row in the CSS
  const OVERSCAN = 12;     // rows rendered beyond each edge of the viewport
  const API = "api/v1/connections";
  const $ = (id) => document.getElementById(id);

  const el = {
    taken: $("taken"), counts: $("counts"), interval: $("interval"), refresh: $("refresh"),
    views: $("views"), q: $("q"), protocol: $("protocol"), state: $("state"), process: $("process"),
    unit: $("unit"), container: $("container"), iface: $("interface"), clear: $("clear"),
    notice: $("notice"), viewport: $("viewport"), head: $("head"), body: $("body"), empty: $("empty"),
    timings: $("timings"),
    lists: { process: $("process-list"), unit: $("unit-list"), container: $("container-list") },
  };

  // ---- State (mirrored in the URL hash so a view can be bookmarked or shared) -------------
  const state = {
    view: "sockets", sort: null, desc: false, interval: 5,
    filters: { q: "", protocol: "", state: "", process: "", unit: "", container: "", interface: "" },
  };
  let rows = [];          // every socket of the last snapshot, prepared
  let shown = [];         // what the current view shows, filtered, grouped and sorted
  let takenAt = null;     // Date the exporter read the kernel
  let ownersOff = false;
  let timer = 0;
  let loading = false;
  // Last measured costs (ms), shown in the footer and read by bench/webui.py.
  const timings = { fetch: 0, parse: 0, prepare: 0, view: 0, render: 0 };
  window.connTimings = timings;

  // ---- Preparing rows -----------------------------------------------------------------------
  const endpoint = (addr, port, family, remote) => {
    if (remote && port === 0 && (addr === "0.0.0.0" || addr === "::")) return family === "ipv6" ? "[::]:*" : "*:*";
    return (addr.includes(":") ? "[" + addr + "]" : addr) + ":" + (port === 0 && remote ? "*" : port);
  };

  function containerLabel(o) {
    if (o.pod) return (o.pod_namespace ? o.pod_namespace + "/" : "") + o.pod + (o.container_name ? " · " + o.container_name : "");
    if (o.container_name) return o.container_name;
    if (o.container) return o.container.slice(0, 12);
    return "";
  }

  function prepare(o) {
    const procs = o.processes || [];
    const first = procs.length ? procs[0].name : "";
    const r = {
      proto: o.protocol, family: o.family, state: o.state,
      local: endpoint(o.local_address, o.local_port, o.family, false),
      peer: endpoint(o.remote_address, o.remote_port, o.family, true),
      localAddr: o.local_address, localPort: o.local_port, remoteAddr: o.remote_address, remotePort: o.remote_port,
      iface: o.interface, dir: o.direction, recvq: o.recv_q, sendq: o.send_q,
      process: first, owners: procs.map((p) => p.name + "(" + p.pid + ")").join(", "),
      pids: procs.map((p) => String(p.pid)), names: procs.map((p) => p.name.toLowerCase()),
      unit: o.unit || "", container: containerLabel(o), containerId: o.container || "",
      netns: o.netns, rtt: o.tcp_info && o.state !== "LISTEN" ? o.tcp_info.rtt_us / 1000 : null,
      listening: (o.protocol === "tcp" && o.state === "LISTEN") || (o.protocol === "udp" && o.state === "UNCONN"),
    };
    r.hay = [r.proto, r.family, r.state, r.local, r.peer, r.iface, r.dir, r.owners, r.unit, r.container, r.containerId, "netns:" + r.netns]
      .join(" ").toLowerCase();
    return r;
  }

  // ---- Filtering --------------------------------------------------------------------------
  function matcher() {
    const f = state.filters;
    const tokens = f.q.toLowerCase().split(/\s+/).filter(Boolean);
    const proc = f.process.trim().toLowerCase(), unit = f.unit.trim().toLowerCase();
    const cont = f.container.trim().toLowerCase(), iface = f.interface;
    return (r) => {
      if (f.protocol && r.proto !== f.protocol) return false;
      if (f.state && r.state !== f.state) return false;
      if (iface && r.iface !== iface && !(r.iface === "any" && iface !== "unknown")) return false;
      if (proc && !r.pids.includes(proc) && !r.names.some((n) => n.includes(proc))) return false;
      if (unit && !r.unit.toLowerCase().includes(unit)) return false;
      if (cont && !r.container.toLowerCase().includes(cont) && !r.containerId.startsWith(cont)) return false;
      for (const t of tokens) if (!r.hay.includes(t)) return false;
      return true;
    };
  }

  // ---- Views: columns and how rows are grouped ------------------------------------------------
  const text = (k) => (r) => r[k];
  const num = (k) => (r) => r[k];
  const col = (id, label, get, opts = {}) => ({ id, label, get, key: opts.key || get, num: !!opts.num, cls: opts.cls || "", width: opts.width });

  const views = {
    sockets: {
      columns: [
        col("proto", "Proto", text("proto"), { width: 52 }),
        col("state", "State", text("state"), { width: 106, cls: (r) => "state-" + r.state }),
        col("local", "Local address:port", text("local"), { cls: "mono", width: 196, key: (r) => r.localAddr + " " + String(r.localPort).padStart(5, "0") }),
        col("peer", "Peer address:port", text("peer"), { cls: "mono", width: 196, key: (r) => r.remoteAddr + " " + String(r.remotePort).padStart(5, "0") }),
        col("iface", "Interface", text("iface"), { width: 80 }),
        col("dir", "Direction", text("dir"), { width: 84 }),
        col("owners", "Process", (r) => r.owners || "unowned", { cls: (r) => (r.owners ? "" : "muted") }),
        col("unit", "Unit", text("unit"), { width: 124 }),
        col("container", "Container", text("container"), { width: 110 }),
        col("recvq", "Recv-Q", num("recvq"), { num: true, width: 62 }),
        col("sendq", "Send-Q", num("sendq"), { num: true, width: 62 }),
        col("rtt", "RTT ms", (r) => (r.rtt === null ? "" : r.rtt.toFixed(2)), { num: true, width: 66, key: (r) => (r.rtt === null ? -1 : r.rtt) }),
      ],
      build: (selected) => selected,
      defaultSort: null,
    },
    processes: {
      columns: [
        col("process", "Process", (g) => g.process || "unowned", { cls: (g) => (g.process ? "" : "muted") }),
        col("unit", "Unit", text("unit"), { width: 190 }),
        col("container", "Container", text("container"), { width: 150 }),
        col("pids", "PIDs", (g) => g.pidList, { key: (g) => g.pidCount, width: 150 }),
        col("total", "Sockets", num("total"), { num: true, width: 84 }),
        col("listen", "Listening", num("listen"), { num: true, width: 84 }),
        col("estab", "Established", num("estab"), { num: true, width: 104 }),
        col("other", "Other states", num("other"), { num: true, width: 112 }),
        col("tcp", "TCP", num("tcp"), { num: true, width: 64 }),
        col("udp", "UDP", num("udp"), { num: true, width: 64 }),
      ],
      // Like conn_process_sockets: a socket counts for its first owner; unowned ones together.
      build: (selected) => {
        const groups = new Map();
        for (const r of selected) {
          const k = r.process + "\u0000" + r.unit + "\u0000" + r.container;
          let g = groups.get(k);
          if (!g) {
            g = { process: r.process, unit: r.unit, container: r.container, pids: new Set(), total: 0, listen: 0, estab: 0, other: 0, tcp: 0, udp: 0 };
            groups.set(k, g);
          }
          for (const p of r.pids) g.pids.add(p);
          g.total++;
          if (r.listening) g.listen++; else if (r.state === "ESTABLISHED") g.estab++; else g.other++;
          if (r.proto === "tcp") g.tcp++; else g.udp++;
        }
        return [...groups.values()].map((g) => {
          const pids = [...g.pids].sort((a, b) => a - b);
          g.pidCount = pids.length;
          g.pidList = pids.length > 6 ? pids.slice(0, 6).join(", ") + " … (" + pids.length + ")" : pids.join(", ");
          return g;
        });
      },
      defaultSort: "total", defaultDesc: true,
    },
    peers: {
      columns: [
        col("dir", "Direction", text("dir"), { width: 90 }),
        col("process", "Process", (g) => g.process || "unowned", { cls: (g) => (g.process ? "" : "muted") }),
        col("unit", "Unit", text("unit"), { width: 190 }),
        col("peer", "Peer address", text("peer"), { cls: "mono", width: 260 }),
        col("port", "Port", num("port"), { num: true, width: 70 }),
        col("proto", "Proto", text("proto"), { width: 60 }),
        col("count", "Connections", num("count"), { num: true, width: 100 }),
      ],
      // As conn_peers: established connections; incoming by the local (service) port and the
      // client's address, outgoing by the remote address and port.
      build: (selected) => {
        const groups = new Map();
        for (const r of selected) {
          if (r.state !== "ESTABLISHED" || (r.dir !== "incoming" && r.dir !== "outgoing")) continue;
          const port = r.dir === "incoming" ? r.localPort : r.remotePort;
          const k = [r.dir, r.process, r.unit, r.remoteAddr, port, r.proto].join("\u0000");
          let g = groups.get(k);
          if (!g) groups.set(k, (g = { dir: r.dir, process: r.process, unit: r.unit, peer: r.remoteAddr, port, proto: r.proto, count: 0 }));
          g.count++;
        }
        return [...groups.values()];
      },
      defaultSort: "count", defaultDesc: true,
    },
    listeners: {
      columns: [
        col("proto", "Proto", text("proto"), { width: 56 }),
        col("addr", "Address", text("localAddr"), { cls: "mono", width: 230 }),
        col("port", "Port", num("localPort"), { num: true, width: 70 }),
        col("iface", "Interface", text("iface"), { width: 96 }),
        col("owners", "Process", (r) => r.owners || "unowned", { cls: (r) => (r.owners ? "" : "muted") }),
        col("unit", "Unit", text("unit"), { width: 180 }),
        col("container", "Container", text("container"), { width: 140 }),
        // For a listener the kernel reports the accept queue as Recv-Q and its limit as Send-Q.
        col("queue", "Accept queue", (r) => (r.proto === "tcp" ? r.recvq : ""), { num: true, width: 116, key: (r) => r.recvq,
          cls: (r) => (r.proto === "tcp" && r.sendq > 0 && r.recvq >= r.sendq ? "full" : "") }),
        col("backlog", "Backlog", (r) => (r.proto === "tcp" ? r.sendq : ""), { num: true, width: 80, key: (r) => r.sendq }),
      ],
      build: (selected) => selected.filter((r) => r.listening),
      defaultSort: "port",
    },
  };

  // ---- Computing and rendering ------------------------------------------------------------
  function compare(key, desc) {
    return (a, b) => {
      const x = key(a), y = key(b);
      const c = x < y ? -1 : x > y ? 1 : 0;
      return desc ? -c : c;
    };
  }

  function recompute() {
    const t0 = performance.now();
    const view = views[state.view];
    const selected = rows.filter(matcher());
    shown = view.build(selected);
    const sortId = state.sort ?? view.defaultSort;
    const column = view.columns.find((c) => c.id === sortId);
    if (column) {
      // Each row's key computed once, not in every comparison (40k rows: ~600k comparisons).
      const keyed = shown.map((r) => ({ k: column.key(r), r }));
      keyed.sort(compare((x) => x.k, state.sort ? state.desc : !!view.defaultDesc));
      shown = keyed.map((x) => x.r);
    }
    timings.view = performance.now() - t0;
    el.counts.textContent = state.view === "sockets" || state.view === "listeners"
      ? fmt(shown.length) + " of " + fmt(rows.length) + " sockets shown"
      : fmt(shown.length) + " groups of " + fmt(selected.length) + " sockets (" + fmt(rows.length) + " in all)";
    renderHead();
    el.viewport.scrollTop = Math.min(el.viewport.scrollTop, Math.max(0, shown.length * ROW - el.viewport.clientHeight));
    render();
    writeHash();
  }

  function renderHead() {
    const view = views[state.view];
    const sortId = state.sort ?? view.defaultSort;
    const desc = state.sort ? state.desc : !!view.defaultDesc;
    el.head.replaceChildren(...view.columns.map((c) => {
      const th = document.createElement("th");
      th.textContent = c.label;
      th.dataset.col = c.id;
      if (c.num) th.className = "num";
      if (c.width) th.style.width = c.width + "px"; // CSSOM, not an inline style attribute: CSP allows it
      th.setAttribute("aria-sort", c.id === sortId ? (desc ? "descending" : "ascending") : "none");
      th.tabIndex = 0; // sortable from the keyboard too (Enter or Space)
      return th;
    }));
  }

  function pad(height) {
    const tr = document.createElement("tr");
    tr.className = "pad";
    const td = document.createElement("td");
    td.colSpan = views[state.view].columns.length;
    td.style.height = height + "px";
    tr.appendChild(td);
    return tr;
  }

  function render() {
    const t0 = performance.now();
    const columns = views[state.view].columns;
    const height = el.viewport.clientHeight || 600;
    const first = Math.max(0, Math.floor(el.viewport.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(shown.length, Math.ceil((el.viewport.scrollTop + height) / ROW) + OVERSCAN);
    const out = [pad(first * ROW)];
    for (let i = first; i < last; i++) {
      const r = shown[i];
      const tr = document.createElement("tr");
      tr.className = i % 2 ? "row alt" : "row";
      tr.dataset.index = i;
      for (const c of columns) {
        const td = document.createElement("td");
        const v = c.get(r);
        td.textContent = v === null || v === undefined ? "" : String(v);
        if (!c.num && td.textContent.length > 14) td.title = td.textContent; // the full text of a cut-off cell
        const cls = (typeof c.cls === "function" ? c.cls(r) : c.cls) + (c.num ? " num" : "");
        if (cls.trim()) td.className = cls.trim();
        tr.appendChild(td);
      }
      out.push(tr);
    }
    out.push(pad((shown.length - last) * ROW));
    el.body.replaceChildren(...out);
    el.empty.hidden = shown.length > 0 || rows.length === 0;
    timings.render = performance.now() - t0;
    showTimings();
  }

  function showTimings() {
    el.timings.textContent = rows.length
      ? `fetch ${ms(timings.fetch)} · parse ${ms(timings.parse)} · prepare ${ms(timings.prepare)} · filter+sort ${ms(timings.view)} · render ${ms(timings.render)} ·`
      : "";
  }

  // ---- Fetching ---------------------------------------------------------------------------
  async function load() {
    if (loading) return;
    loading = true;
    clearTimeout(timer);
    try {
      const t0 = performance.now();
      const response = await fetch(API, { cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" } });
      const body = await response.text();
      const t1 = performance.now();
      if (!response.ok) {
        let message = body;
        try { message = JSON.parse(body).error; } catch { /* not JSON: show as it came */ }
        throw new Error(`HTTP ${response.status}: ${message}`);
      }
      const data = JSON.parse(body);
      const t2 = performance.now();
      rows = data.map(prepare);
      const t3 = performance.now();
      Object.assign(timings, { fetch: t1 - t0, parse: t2 - t1, prepare: t3 - t2 });
      takenAt = new Date(response.headers.get("X-Snapshot-Taken-At") || Date.now());
      ownersOff = response.headers.get("X-Snapshot-Owners") === "off";
      el.notice.hidden = !ownersOff;
      if (ownersOff) el.notice.textContent = "This exporter does not resolve socket owners (no enabled collector needs them): process, unit and container are empty.";
      fillChoices();
      recompute();
      showTaken();
    } catch (e) {
      el.notice.hidden = false;
      el.notice.textContent = "Could not load connections: " + e.message + (rows.length ? " (showing the previous snapshot)" : "");
    } finally {
      loading = false;
      schedule();
    }
  }

  function schedule() {
    clearTimeout(timer);
    if (state.interval > 0) timer = setTimeout(load, state.interval * 1000);
  }

  function showTaken() {
    if (!takenAt) return;
    const age = Math.max(0, Math.round((Date.now() - takenAt.getTime()) / 1000));
    el.taken.textContent = "taken " + takenAt.toLocaleTimeString([], { hour12: false }) + " (" + age + " s ago)";
    el.taken.dataset.takenAt = takenAt.toISOString();
    el.taken.classList.toggle("stale", state.interval > 0 && age > 3 * state.interval + 5);
  }

  // Choices for the selects and suggestions for the inputs, from the data itself.
  function fillChoices() {
    const distinct = (f) => [...new Set(rows.map(f).filter(Boolean))].sort();
    setOptions(el.state, distinct((r) => r.state), state.filters.state);
    setOptions(el.iface, distinct((r) => r.iface), state.filters.interface);
    setList(el.lists.process, distinct((r) => r.process));
    setList(el.lists.unit, distinct((r) => r.unit));
    setList(el.lists.container, distinct((r) => r.container));
  }

  function setOptions(select, values, current) {
    if (current && !values.includes(current)) values.push(current);
    const any = document.createElement("option");
    any.value = ""; any.textContent = "any";
    select.replaceChildren(any, ...values.map((v) => { const o = document.createElement("option"); o.value = o.textContent = v; return o; }));
    select.value = current;
  }

  function setList(list, values) {
    list.replaceChildren(...values.slice(0, 500).map((v) => { const o = document.createElement("option"); o.value = v; return o; }));
  }

  // ---- URL hash ---------------------------------------------------------------------------
  function writeHash() {
    const p = new URLSearchParams();
    if (state.view !== "sockets") p.set("view", state.view);
    if (state.sort) { p.set("sort", state.sort); if (state.desc) p.set("desc", "1"); }
    if (state.interval !== 5) p.set("refresh", state.interval);
    for (const [k, v] of Object.entries(state.filters)) if (v) p.set(k, v);
    const hash = p.toString();
    history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
  }

  function readHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    if (views[p.get("view")]) state.view = p.get("view");
    state.sort = p.get("sort");
    state.desc = p.get("desc") === "1";
    const interval = Number(p.get("refresh"));
    if (p.has("refresh") && [...el.interval.options].some((o) => Number(o.value) === interval)) state.interval = interval;
    for (const k of Object.keys(state.filters)) state.filters[k] = p.get(k) || "";
  }

  function syncControls() {
    el.interval.value = String(state.interval);
    el.q.value = state.filters.q; el.protocol.value = state.filters.protocol;
    el.process.value = state.filters.process; el.unit.value = state.filters.unit; el.container.value = state.filters.container;
    for (const b of el.views.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.view === state.view));
  }

  // ---- Wiring -----------------------------------------------------------------------------
  const fmt = (n) => n.toLocaleString("en-US");
  const ms = (t) => (t < 10 ? t.toFixed(1) : Math.round(t)) + " ms";

  function debounce(f, wait) {
    let t = 0;
    return () => { clearTimeout(t); t = setTimeout(f, wait); };
  }

  function bind(input, key, wait) {
    const apply = () => { state.filters[key] = input.value; recompute(); };
    input.addEventListener("input", wait ? debounce(apply, wait) : apply);
    input.addEventListener("change", apply);
  }

  readHash();
  syncControls();
  bind(el.q, "q", 120);
  bind(el.process, "process", 120);
  bind(el.unit, "unit", 120);
  bind(el.container, "container", 120);
  bind(el.protocol, "protocol", 0);
  bind(el.state, "state", 0);
  bind(el.iface, "interface", 0);
  el.clear.addEventListener("click", () => {
    for (const k of Object.keys(state.filters)) state.filters[k] = "";
    syncControls();
    el.state.value = ""; el.iface.value = "";
    recompute();
  });
  el.views.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-view]");
    if (!b || b.dataset.view === state.view) return;
    state.view = b.dataset.view;
    state.sort = null; state.desc = false;
    el.viewport.scrollTop = 0;
    syncControls();
    recompute();
  });
  el.head.addEventListener("click", (e) => {
    const th = e.target.closest("th[data-col]");
    if (!th) return;
    const view = views[state.view];
    const current = state.sort ?? view.defaultSort;
    const currentDesc = state.sort ? state.desc : !!view.defaultDesc;
    state.desc = th.dataset.col === current ? !currentDesc : views[state.view].columns.find((c) => c.id === th.dataset.col).num;
    state.sort = th.dataset.col;
    recompute();
  });
  el.head.addEventListener("keydown", (e) => {
    if ((e.key === "Enter" || e.key === " ") && e.target.closest("th[data-col]")) { e.preventDefault(); e.target.click(); }
  });
  el.interval.addEventListener("change", () => { state.interval = Number(el.interval.value); writeHash(); schedule(); showTaken(); });
  el.refresh.addEventListener("click", load);
  let frame = 0;
  el.viewport.addEventListener("scroll", () => { if (!frame) frame = requestAnimationFrame(() => { frame = 0; render(); }); });
  window.addEventListener("resize", () => render());
  setInterval(showTaken, 1000);
  load();
})();
