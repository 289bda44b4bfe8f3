using System.Text.Json;
using System.Text.RegularExpressions;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Web.Browser;

/// <summary>
/// The /connections page in a real headless chromium against the real exporter, in a namespace
/// holding the scenario's known sockets, compared with <c>ss</c> there: what the page shows
/// (read back from the DOM, scrolling through the virtual table) is what the kernel has.
/// </summary>
public sealed partial class ConnectionsPageTests(ConnectionsPageFixture fixture) : IClassFixture<ConnectionsPageFixture>
{
    // Columns of the sockets view, in order (connections.js).
    private const int Proto = 0, State = 1, Local = 2, Peer = 3, Owners = 6;

    private HeadlessChromium Browser => fixture.Browser!;

    private async Task<BrowserPage> OpenAsync(string hash = "refresh=0")
    {
        var page = await Browser.OpenPageAsync();
        int status = await page.NavigateAsync(fixture.Url("/connections#" + hash));
        Assert.Equal(200, status);
        await WaitForDataAsync(page, null);
        return page;
    }

    /// <summary>Waits until the page shows a snapshot other than <paramref name="previous"/>; returns its time.</summary>
    private static async Task<string> WaitForDataAsync(BrowserPage page, string? previous)
    {
        string prev = previous is null ? "" : JsonSerializer.Serialize(previous);
        await page.WaitUntilAsync(
            $"(document.getElementById('taken').dataset.takenAt || '') !== {(previous is null ? "''" : prev)}",
            "a snapshot shown");
        return (await page.EvaluateAsync("document.getElementById('taken').dataset.takenAt")).GetString()!;
    }

    /// <summary>Every row of the current view, read from the DOM while scrolling it through.</summary>
    private static async Task<List<string[]>> RowsAsync(BrowserPage page)
    {
        var rows = await page.EvaluateAsync("""
            (async () => {
              const vp = document.getElementById('viewport');
              const frame = () => new Promise(r => requestAnimationFrame(r));
              const seen = new Map();
              vp.scrollTop = 0;
              for (let guard = 0; guard < 10000; guard++) {
                await frame(); await frame(); await frame();
                for (const tr of document.querySelectorAll('#body tr.row'))
                  seen.set(Number(tr.dataset.index), [...tr.cells].map(td => td.textContent));
                if (vp.scrollTop + vp.clientHeight >= vp.scrollHeight - 1) break;
                vp.scrollTop += vp.clientHeight;
              }
              vp.scrollTop = 0;
              return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1]);
            })()
            """);
        return rows.EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetString()!).ToArray()).ToList();
    }

    private static Task SetAsync(BrowserPage page, string id, string value) => page.EvaluateAsync(
        $"(() => {{ const e = document.getElementById({JsonSerializer.Serialize(id)}); e.value = {JsonSerializer.Serialize(value)}; e.dispatchEvent(new Event('change')); }})()");

    private static Task ClickAsync(BrowserPage page, string selector) => page.EvaluateAsync(
        $"document.querySelector({JsonSerializer.Serialize(selector)}).click()");

    private static int PortOf(string endpoint)
    {
        var port = endpoint[(endpoint.LastIndexOf(':') + 1)..];
        return port == "*" ? 0 : int.Parse(port);
    }

    private static bool IsOwn(string[] row) => ConnectionsPageFixture.IsOwnTraffic(PortOf(row[Local]), PortOf(row[Peer]));

    /// <summary>How the page writes an endpoint (connections.js, endpoint()).</summary>
    private static string Endpoint(string address, int port, string family, bool remote)
    {
        if (remote && port == 0 && address is "0.0.0.0" or "::") return family == "ipv6" ? "[::]:*" : "*:*";
        return (address.Contains(':') ? $"[{address}]" : address) + ":" + (port == 0 && remote ? "*" : port.ToString());
    }

    private static string Key(SsRow r) =>
        $"{r.Protocol}|{r.State}|{Endpoint(r.LocalAddress, r.LocalPort, r.Family, false)}|{Endpoint(r.RemoteAddress, r.RemotePort, r.Family, true)}|{string.Join(',', r.Pids.Order())}";

    private static string Key(string[] row) =>
        $"{row[Proto]}|{row[State]}|{row[Local]}|{row[Peer]}|{string.Join(',', PidsOf(row[Owners]).Order())}";

    private static IEnumerable<int> PidsOf(string owners) => Pid().Matches(owners).Select(m => int.Parse(m.Groups[1].Value));

    [GeneratedRegex(@"\((\d+)\)(?:, |$)")]
    private static partial Regex Pid();

    private List<SsRow> Ss() =>
        [.. SsRow.Read(fixture.Scenario.Ns, "ipv4").Concat(SsRow.Read(fixture.Scenario.Ns, "ipv6"))
            .Where(r => !ConnectionsPageFixture.IsOwnTraffic(r.LocalPort, r.RemotePort))];

    [RootFact]
    public async Task RowsShownEqualTheSocketsOfTheNamespace()
    {
        var page = await OpenAsync();
        string taken = await WaitForDataAsync(page, null);
        for (int attempt = 1; ; attempt++)
        {
            var before = Ss().Select(Key).Order().ToList();
            await ClickAsync(page, "#refresh");
            taken = await WaitForDataAsync(page, taken);
            var shown = (await RowsAsync(page)).Where(r => !IsOwn(r)).Select(Key).Order().ToList();
            var after = Ss().Select(Key).Order().ToList();
            // Sockets may come and go between ss and the snapshot (TIME_WAIT expiring): compare
            // only when ss saw the same set before and after.
            if (!before.SequenceEqual(after) && attempt < 5) continue;
            Assert.True(before.Count > 15, $"the scenario holds its sockets ({before.Count})");
            Assert.Equal(before, shown);
            break;
        }
        // The counts line says how many are shown of how many (all of them, unfiltered).
        var counts = (await page.EvaluateAsync("document.getElementById('counts').textContent")).GetString()!;
        Assert.Matches(@"^([\d,]+) of \1 sockets shown$", counts);
    }

    [RootFact]
    public async Task FiltersChangeWhatIsShown()
    {
        var page = await OpenAsync();
        var all = (await RowsAsync(page)).Where(r => !IsOwn(r)).ToList();
        var ss = Ss();

        await SetAsync(page, "protocol", "udp");
        var udp = await RowsAsync(page);
        Assert.Equal(ss.Count(r => r.Protocol == "udp"), udp.Count);
        Assert.All(udp, r => Assert.Equal("udp", r[Proto]));

        await SetAsync(page, "state", "UNCONN");
        var unconn = await RowsAsync(page);
        Assert.Equal(ss.Count(r => r.Protocol == "udp" && r.State == "UNCONN"), unconn.Count);
        Assert.All(unconn, r => Assert.Equal("UNCONN", r[State]));

        await ClickAsync(page, "#clear");
        await SetAsync(page, "q", "9000");
        var search = await RowsAsync(page);
        Assert.Equal(ss.Count(r => r.LocalPort == 9000 || r.RemotePort == 9000), search.Count);
        Assert.All(search, r => Assert.True(PortOf(r[Local]) == 9000 || PortOf(r[Peer]) == 9000, string.Join(" ", r)));

        // A process name with a quote and a backslash, typed as it is, shown as text.
        await ClickAsync(page, "#clear");
        await SetAsync(page, "process", fixture.Scenario.HostileName);
        var hostile = await RowsAsync(page);
        Assert.Equal(ss.Count(r => r.Pids.Contains(fixture.Scenario.HostilePid)), hostile.Count);
        Assert.All(hostile, r => Assert.Equal($"{fixture.Scenario.HostileName}({fixture.Scenario.HostilePid})", r[Owners]));

        await SetAsync(page, "process", fixture.Scenario.SharedChildPid.ToString());
        var shared = Assert.Single(await RowsAsync(page));
        Assert.Equal(("LISTEN", 9100), (shared[State], PortOf(shared[Local])));

        await ClickAsync(page, "#clear");
        await SetAsync(page, "interface", "wg-faas");
        var tun = (await RowsAsync(page)).Where(r => !IsOwn(r)).ToList();
        Assert.NotEmpty(tun);
        Assert.True(tun.Count < all.Count, "the interface filter leaves loopback-only sockets out");
        Assert.DoesNotContain(tun, r => r[Local].StartsWith("127.", StringComparison.Ordinal));

        await ClickAsync(page, "#clear");
        Assert.Equal(all.Count, (await RowsAsync(page)).Count(r => !IsOwn(r)));
    }

    [RootFact]
    public async Task GroupedViewsAggregateTheSockets()
    {
        var page = await OpenAsync();
        var sockets = await RowsAsync(page);
        int total = sockets.Count;

        // By process: one row per first owner (name, unit, container); sockets add up to all.
        await ClickAsync(page, "button[data-view=processes]");
        var processes = await RowsAsync(page);
        Assert.True(processes.Count < total, "grouping by process folds sockets together");
        Assert.Equal(total, processes.Sum(r => int.Parse(r[4], System.Globalization.NumberStyles.AllowThousands)));
        var unowned = processes.Single(r => r[0] == "unowned");
        Assert.Equal(sockets.Count(r => r[Owners] == "unowned"), int.Parse(unowned[4]));
        Assert.True(int.Parse(unowned[4]) >= 1, "the scenario's TIME_WAIT socket is unowned");
        var hostile = processes.Single(r => r[0] == fixture.Scenario.HostileName);
        Assert.Equal(fixture.Scenario.HostilePid.ToString(), hostile[3]);

        // By peer: established connections, incoming by service port, outgoing by remote port.
        await ClickAsync(page, "button[data-view=peers]");
        var peers = await RowsAsync(page);
        var v4 = fixture.Scenario.Ns.TunIPv4;
        Assert.Equal("1", peers.Single(r => r[0] == "incoming" && r[3] == v4 && r[4] == "8080")[6]);
        Assert.Equal("1", peers.Single(r => r[0] == "outgoing" && r[3] == v4 && r[4] == "8080")[6]);
        // The dual-stack listener on 9000 has one client from 127.0.0.1 and one from the tun address.
        Assert.Equal(2, peers.Count(r => r[0] == "incoming" && r[4] == "9000"));
        Assert.All(peers, r => Assert.Contains(r[0], new[] { "incoming", "outgoing" }));

        // Listeners: what ss -l lists, with their accept queues, sorted by port; the header sorts.
        // Unconnected UDP sockets on ephemeral ports (a resolver's query, the browser's) come and
        // go between the page's snapshot and ss: the scenario's listeners must all be shown, and
        // anything else shown must be such a socket.
        HashSet<string> Truth() => [.. Ss().Where(r => r.State is "LISTEN" or "UNCONN").Select(r => $"{r.Protocol}|{r.LocalAddress}|{r.LocalPort}")];
        var truthBefore = Truth();
        await ClickAsync(page, "button[data-view=listeners]");
        var listeners = (await RowsAsync(page)).Where(r => int.Parse(r[2]) != ConnectionsPageFixture.Port).ToList();
        var truth = truthBefore.Intersect(Truth()).ToHashSet();
        var shown = listeners.Select(r => $"{r[0]}|{r[1]}|{r[2]}").ToHashSet();
        Assert.Subset(shown, truth);
        int ephemeralFirst = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.All(shown.Except(truth), k => Assert.True(k.StartsWith("udp|", StringComparison.Ordinal)
            && int.Parse(k.Split('|')[2], System.Globalization.CultureInfo.InvariantCulture) >= ephemeralFirst, $"{k} is shown as listening but ss never saw it"));
        var ports = listeners.Select(r => int.Parse(r[2])).ToList();
        Assert.Equal(ports.Order(), ports);
        Assert.All(listeners.Where(r => r[0] == "tcp"), r => Assert.Equal("0", r[7]));   // nobody waits in an accept queue
        Assert.Contains(listeners, r => r[0] == "tcp" && r[2] == "8080" && r[8] == "64"); // listen(64)
        await ClickAsync(page, "#head th[data-col=port]");
        var descending = (await RowsAsync(page)).Select(r => int.Parse(r[2])).ToList();
        Assert.Equal(descending.OrderDescending(), descending);
    }

    [RootFact]
    public async Task RefreshPicksUpANewListener()
    {
        const int port = 7781;
        var page = await OpenAsync($"refresh=1&q=%3A{port}");
        string taken = await WaitForDataAsync(page, null);
        Assert.Empty(await RowsAsync(page));
        Assert.Equal("1", (await page.EvaluateAsync("document.getElementById('interval').value")).GetString());

        var listener = fixture.Scenario.Ns.Start("python3", ["-c",
            $"import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', {port})); s.listen(8); print('ready', flush=True); sys.stdin.read()"]);
        try
        {
            Assert.Equal("ready", listener.StandardOutput.ReadLine());
            // No click: the page refreshes itself every second.
            await page.WaitUntilAsync("document.querySelectorAll('#body tr.row').length === 1", "the new listener shown", TimeSpan.FromSeconds(15));
            var row = Assert.Single(await RowsAsync(page));
            Assert.Equal(("LISTEN", $"127.0.0.1:{port}"), (row[State], row[Local]));
            Assert.Equal($"python3({listener.Id})", row[Owners]);
            Assert.NotEqual(taken, await WaitForDataAsync(page, taken));
        }
        finally
        {
            listener.Kill();
            listener.WaitForExit(5000);
        }
        await page.WaitUntilAsync("document.querySelectorAll('#body tr.row').length === 0", "the closed listener gone", TimeSpan.FromSeconds(15));
    }

    [RootFact]
    public async Task PageIsServedUnderAStrictPolicyAndLoadsNothingElse()
    {
        var page = await Browser.OpenPageAsync();
        Assert.Equal(200, await page.NavigateAsync(fixture.Url("/connections#refresh=0")));
        await WaitForDataAsync(page, null);
        var responses = Browser.Events("Network.responseReceived", page.SessionId);
        var document = responses.Single(r => r.GetProperty("type").GetString() == "Document").GetProperty("response");
        var headers = document.GetProperty("headers").EnumerateObject().ToDictionary(h => h.Name.ToLowerInvariant(), h => h.Value.GetString());
        Assert.Equal(ConnExporter.Web.ConnectionsPage.ContentSecurityPolicy, headers["content-security-policy"]);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        // Every request the page made went to the exporter itself: the document, its CSS and JS, the API.
        var urls = responses.Select(r => r.GetProperty("response").GetProperty("url").GetString()!).ToList();
        Assert.All(urls, u => Assert.StartsWith(fixture.Url("/"), u, StringComparison.Ordinal));
        Assert.Contains(fixture.Url("/assets/connections.js"), urls);
        Assert.Contains(fixture.Url("/assets/connections.css"), urls);
        Assert.Contains(fixture.Url("/api/v1/connections"), urls);
        // The stylesheet applied (CSP allowed it) and nothing threw.
        Assert.Equal("sticky", (await page.EvaluateAsync("getComputedStyle(document.querySelector('#head th')).position")).GetString());
        Assert.Empty(Browser.Events("Runtime.exceptionThrown", page.SessionId));
    }

    [RootFact]
    public async Task ScreenshotsOfEveryViewAt1280x800()
    {
        var page = await OpenAsync();
        foreach (var view in (string[])["sockets", "processes", "peers", "listeners"])
        {
            await ClickAsync(page, $"button[data-view={view}]");
            await page.EvaluateAsync("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
            var path = await page.ScreenshotAsync(Path.Combine(ConnectionsPageFixture.ArtifactDirectory, $"connections-{view}.png"));
            var png = await File.ReadAllBytesAsync(path);
            // PNG signature, then IHDR: width and height big-endian at bytes 16 and 20.
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            Assert.Equal((BrowserPage.Width, BrowserPage.Height),
                (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))));
        }
    }
}
