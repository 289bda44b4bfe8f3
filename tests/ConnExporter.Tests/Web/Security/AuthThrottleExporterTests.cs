using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ConnExporter.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ConnExporter.Tests.Web.Security;

/// <summary>
/// The real exporter under a brute force (issue 16): TLS + basic auth with a bcrypt cost of 10,
/// hundreds of wrong passwords from one address while Prometheus-like scrapes come from
/// another, and one wrong password from each of 10,000 addresses. Clients bind their source
/// address inside the test's own namespace.
/// </summary>
public sealed class AuthThrottleExporterTests(ITestOutputHelper output) : IDisposable
{
    // "scrape-pass" at cost 10, htpasswd -B's default, as in the issue's attack.
    private const string ScrapePassCost10 = "$2b$10$r04WWEmHtjIeOGMoJbYYfumTzHJU0yIOP2Hqj3TlPKRvJ/962dULC";

    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private static AuthenticationHeaderValueText Basic(string user, string password) => new(user, password);

    private readonly record struct AuthenticationHeaderValueText(string User, string Password)
    {
        public override string ToString() => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"));
    }

    private static async Task<(int Status, string? RetryAfter, string Body)> GetAsync(HttpClient client, string url, AuthenticationHeaderValueText? credentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (credentials is { } c) request.Headers.TryAddWithoutValidation("Authorization", c.ToString());
        using var response = await client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, response.Headers.TryGetValues("Retry-After", out var values) ? values.Single() : null, body);
    }

    private static async Task WaitForAnswerAsync(HttpClient client, string url, Process exporter)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await GetAsync(client, url, null)).Status == 401) return;
            }
            catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(30) && !exporter.HasExited)
            {
            }
            Assert.False(exporter.HasExited, "the exporter exited");
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the exporter did not answer within 30 s");
            await Task.Delay(100);
        }
    }

    private static double Value(string exposition, string name) =>
        ScrapedSample.Parse(exposition).Single(s => s.Name == name).Value;

    private static string Percentiles(List<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToList();
        double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
        return string.Create(CultureInfo.InvariantCulture, $"n={sorted.Count} median={At(0.5):F1} ms p95={At(0.95):F1} ms max={sorted[^1]:F1} ms");
    }

    /// <summary>
    /// The exporter in <paramref name="ns"/> on 127.0.0.1:<paramref name="port"/> over TLS, basic
    /// auth for user prometheus with <paramref name="hash"/>, one <c>auth_throttle</c> setting;
    /// and a scraper bound to 127.0.0.2 that has had its first answer.
    /// </summary>
    private async Task<(Process Exporter, IPEndPoint Server, string Url, HttpClient Scraper)> StartOverTlsAsync(
        TestNamespace ns, int port, string throttleSetting, string hash)
    {
        var config = _pki.Write("web.yml", $"""
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
            auth_throttle:
              {throttleSetting}
            basic_auth_users:
              prometheus: {hash}
            """);
        var exporter = ns.Start(ExporterProcess.Dotnet,
            [ExporterProcess.Dll, $"--web.listen-address=127.0.0.1:{port}", $"--web.config.file={config}", "--no-collector.netns"]);
        exporter.BeginErrorReadLine();
        exporter.BeginOutputReadLine();
        var server = new IPEndPoint(IPAddress.Loopback, port);
        string url = $"https://localhost:{port}/metrics";
        var scraper = BoundHttpClient.Create(ns, IPAddress.Parse("127.0.0.2"), server, _pki.Path("ca.pem"));
        await WaitForAnswerAsync(scraper, url, exporter);
        return (exporter, server, url, scraper);
    }

    [RootFact]
    public async Task BruteForceFromOneAddressIsThrottledWhileScrapesFromAnotherGoOn()
    {
        using var ns = new TestNamespace("cxauth");
        const int port = 19471;
        const int connections = 8, guessesPerConnection = 40;
        // Short, so that 315 refusals over 8 connections take seconds; the default is 1s.
        const int BlockedDelayMs = 100;
        var (exporter, server, url, scraper) = await StartOverTlsAsync(ns, port, $"blocked_delay: {BlockedDelayMs}ms", ScrapePassCost10);
        using var scraperClient = scraper;
        var valid = Basic("prometheus", "scrape-pass");

        // The scraper's usual latency: its credential checked by bcrypt once, then cached.
        Assert.Equal(200, (await GetAsync(scraper, url, valid)).Status);
        var quiet = new List<double>();
        for (int i = 0; i < 20; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Assert.Equal(200, (await GetAsync(scraper, url, valid)).Status);
            quiet.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        // 8 keep-alive connections from 127.0.0.1, 320 distinct wrong passwords in all, while
        // the scraper keeps scraping from 127.0.0.2.
        var attackers = Enumerable.Range(0, connections)
            .Select(_ => BoundHttpClient.Create(ns, IPAddress.Loopback, server, _pki.Path("ca.pem"))).ToList();
        var answers = new ConcurrentBag<(int Status, string? RetryAfter, double Ms)>();
        using var attackOver = new CancellationTokenSource();
        var underAttack = new List<double>();
        var scrapeStatuses = new List<int>();
        var scraping = Task.Run(async () =>
        {
            while (!attackOver.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                scrapeStatuses.Add((await GetAsync(scraper, url, valid)).Status);
                underAttack.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                await Task.Delay(50);
            }
        });
        var attackClock = Stopwatch.StartNew();
        await Task.WhenAll(attackers.Select((client, c) => Task.Run(async () =>
        {
            for (int i = 0; i < guessesPerConnection; i++)
            {
                long start = Stopwatch.GetTimestamp();
                var (status, retryAfter, _) = await GetAsync(client, url, Basic("prometheus", $"guess-{c}-{i}"));
                answers.Add((status, retryAfter, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
            }
        })));
        var attackTime = attackClock.Elapsed;
        // At least a few scrapes overlap the attack, however fast it was refused.
        while (scrapeStatuses.Count < 5) await Task.Delay(50);
        await attackOver.CancelAsync();
        await scraping;
        foreach (var client in attackers) client.Dispose();

        var metrics = await GetAsync(scraper, url, valid);
        Assert.Equal(200, metrics.Status);
        double failures = Value(metrics.Body, "conn_exporter_auth_failures_total");
        double throttled = Value(metrics.Body, "conn_exporter_auth_throttled_total");
        double bcrypt = Value(metrics.Body, "conn_exporter_auth_bcrypt_runs_total");
        double refusedConnections = Value(metrics.Body, "conn_exporter_auth_refused_connections_total");
        int concurrency = Math.Max(1, Environment.ProcessorCount / 2);
        const int threshold = 5;
        output.WriteLine($"attack: {connections * guessesPerConnection} wrong passwords in {attackTime.TotalSeconds:F2} s; "
            + $"answers: {string.Join(", ", answers.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"))}; "
            + $"failures_total={failures} throttled_total={throttled} bcrypt_runs_total={bcrypt} (concurrency {concurrency})");
        output.WriteLine($"429s (each waited blocked_delay {BlockedDelayMs} ms): {Percentiles(answers.Where(a => a.Status == 429).Select(a => a.Ms).ToList())}");
        output.WriteLine($"valid scrapes alone:        {Percentiles(quiet)}");
        output.WriteLine($"valid scrapes under attack: {Percentiles(underAttack)}");

        Assert.All(scrapeStatuses, s => Assert.Equal(200, s));
        Assert.Equal(connections * guessesPerConnection, answers.Count);
        Assert.All(answers, a => Assert.True(a.Status is 401 or 429, $"attacker got {a.Status}"));
        // bcrypt ran a handful of times for the attacker: the threshold, plus guesses that
        // already held one of the bcrypt slots when the address became blocked; once for the scraper.
        Assert.InRange(failures, threshold, threshold + concurrency - 1);
        Assert.InRange(bcrypt, threshold + 1, threshold + concurrency);
        Assert.Equal(failures, answers.Count(a => a.Status == 401));
        Assert.Equal(throttled, answers.Count(a => a.Status == 429));
        // Every 429 says when to come back: within the first block (one window, 1m by default).
        Assert.All(answers.Where(a => a.Status == 429),
            a => Assert.InRange(int.Parse(a.RetryAfter!, CultureInfo.InvariantCulture), 1, 60));
        // Each 429 was held for blocked_delay (a lower bound: the server waited at least that
        // long), and 8 connections all found a waiting place, so none was closed on accept.
        Assert.All(answers.Where(a => a.Status == 429), a => Assert.True(a.Ms >= BlockedDelayMs - 5, $"a 429 came after {a.Ms:F1} ms"));
        Assert.Equal(0, refusedConnections);

        // Blocked means blocked, the right password included (see SECURITY.md), for that address only.
        using var attackerWithPassword = BoundHttpClient.Create(ns, IPAddress.Loopback, server, _pki.Path("ca.pem"));
        Assert.Equal(429, (await GetAsync(attackerWithPassword, url, valid)).Status);
        Assert.Equal(200, (await GetAsync(scraper, url, valid)).Status);
        exporter.Kill(entireProcessTree: true);
    }

    [RootFact]
    public async Task TenThousandSourceAddressesKeepTheTableAndMemoryBounded()
    {
        using var ns = new TestNamespace("cxauth");
        // Every 10.77.x.y is local inside the namespace (no dummy module here): a client may bind any.
        TestNamespace.Ip($"-n {ns.Name} route add local 10.77.0.0/16 dev lo");
        const int port = 19472, addresses = 10_000, maxAddresses = 4096;
        var config = _pki.Write("web.yml", $"""
            auth_throttle:
              window: 10m
              max_addresses: {maxAddresses}
            basic_auth_users:
              prometheus: {BcryptTests.PromPass}
            """);
        // Dual-stack any address: IPv4 clients arrive as ::ffff:10.77.x.y and must key as IPv4.
        var exporter = ns.Start(ExporterProcess.Dotnet,
            [ExporterProcess.Dll, $"--web.listen-address=:{port}", $"--web.config.file={config}", "--no-collector.netns"]);
        exporter.BeginErrorReadLine();
        exporter.BeginOutputReadLine();
        var server = new IPEndPoint(IPAddress.Parse("10.77.0.1"), port);
        string url = $"http://10.77.0.1:{port}/metrics";
        var valid = Basic("prometheus", "prom-pass");
        using var scraper = BoundHttpClient.Create(ns, IPAddress.Parse("10.77.255.254"), server);
        await WaitForAnswerAsync(scraper, url, exporter);
        Assert.Equal(200, (await GetAsync(scraper, url, valid)).Status);

        long Rss() => long.Parse(File.ReadLines($"/proc/{exporter.Id}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        var rss = new List<(int Addresses, long Bytes, double Table)>();
        async Task Measure(int sent) => rss.Add((sent, Rss(), Value((await GetAsync(scraper, url, valid)).Body, "conn_exporter_auth_throttle_addresses")));
        await Measure(0);

        // One wrong password from each address, four clients at a time, one connection each.
        int next = 0, refused = 0;
        void Send(int count)
        {
            int end = next + count;
            var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() => ns.RunInside(() =>
            {
                var buffer = new byte[4096];
                int i;
                while ((i = Interlocked.Increment(ref next) - 1) < end)
                {
                    var source = new IPAddress([10, 77, (byte)(1 + i / 250), (byte)(1 + i % 250)]);
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Bind(new IPEndPoint(source, 0));
                    socket.Connect(server);
                    socket.Send(Encoding.ASCII.GetBytes($"GET /metrics HTTP/1.1\r\nHost: 10.77.0.1\r\nAuthorization: {Basic("prometheus", $"wrong-{i}")}\r\nConnection: close\r\n\r\n"));
                    int length = 0, read;
                    while (length < buffer.Length && (read = socket.Receive(buffer, length, buffer.Length - length, SocketFlags.None)) > 0) length += read;
                    if (Encoding.ASCII.GetString(buffer, 0, length).StartsWith("HTTP/1.1 401 ", StringComparison.Ordinal))
                        Interlocked.Increment(ref refused);
                }
                return 0;
            }))).ToArray();
            Task.WaitAll(workers);
            next = end;
        }
        foreach (int step in (int[])[2_500, 2_500, 2_500, 2_500])
        {
            Send(step);
            await Measure(next);
        }
        var last = await GetAsync(scraper, url, valid);
        foreach (var (sent, bytes, table) in rss)
            output.WriteLine($"after {sent,6} addresses: RSS {bytes / 1048576.0:F1} MiB, throttle table {table}");

        Assert.Equal(addresses, refused);
        Assert.Equal(addresses, Value(last.Body, "conn_exporter_auth_failures_total"));
        // Full at 4,096 addresses and no more, however many come.
        Assert.All(rss, r => Assert.True(r.Table <= maxAddresses, $"{r.Table} addresses remembered"));
        Assert.Equal(maxAddresses, rss[^1].Table);
        Assert.Equal(maxAddresses, rss[^2].Table);
        // Memory: once the table is full (after 5,000), more addresses add nothing that stays;
        // a generous bound that a table keeping every address would not need to break, but a leak would.
        Assert.True(rss[^1].Bytes - rss[2].Bytes < 64L << 20, $"RSS grew {(rss[^1].Bytes - rss[2].Bytes) / 1048576.0:F1} MiB from 5,000 to 10,000 addresses");
        exporter.Kill(entireProcessTree: true);
    }

    [RootFact]
    public async Task ABlockedAddressFloodingConnectionsIsClosedOnAcceptBeforeTls()
    {
        using var ns = new TestNamespace("cxauth");
        const int port = 19473, waiting = 8, floods = 20;
        const int BlockedDelaySeconds = 5;
        var (exporter, server, url, scraper) = await StartOverTlsAsync(ns, port, $"blocked_delay: {BlockedDelaySeconds}s", BcryptTests.PromPass);
        using var scraperClient = scraper;
        var valid = Basic("prometheus", "prom-pass");
        Assert.Equal(200, (await GetAsync(scraper, url, valid)).Status);

        // 127.0.0.1 blocks itself with five wrong passwords, then fills its 8 waiting places.
        using (var guesser = BoundHttpClient.Create(ns, IPAddress.Loopback, server, _pki.Path("ca.pem")))
            for (int i = 0; i < 5; i++) Assert.Equal(401, (await GetAsync(guesser, url, Basic("prometheus", $"guess-{i}"))).Status);
        var holders = Enumerable.Range(0, waiting).Select(_ => BoundHttpClient.Create(ns, IPAddress.Loopback, server, _pki.Path("ca.pem"))).ToList();
        var held = holders.Select(async client =>
        {
            long start = Stopwatch.GetTimestamp();
            var answer = await GetAsync(client, url, Basic("prometheus", "guess-held"));
            return (answer.Status, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }).ToList();
        var deadline = Stopwatch.StartNew();
        while (Value((await GetAsync(scraper, url, valid)).Body, "conn_exporter_auth_throttled_total") < waiting)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(BlockedDelaySeconds), "the 8 held requests did not all reach the throttle");
            await Task.Delay(20);
        }

        // Now every new connection from 127.0.0.1 is closed at once: no TLS handshake (a server
        // doing one would wait up to 10 s for the ClientHello this client never sends), no HTTP.
        var closedAfter = new List<double>();
        for (int i = 0; i < floods; i++)
        {
            ns.RunInside(() =>
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 3000 };
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                long start = Stopwatch.GetTimestamp();
                socket.Connect(server);
                int read;
                try
                {
                    read = socket.Receive(new byte[64]);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    read = 0;
                }
                Assert.Equal(0, read);
                closedAfter.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                return 0;
            });
        }
        // Scrapes from elsewhere go on meanwhile.
        var scrapes = new List<double>();
        for (int i = 0; i < 10; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Assert.Equal(200, (await GetAsync(scraper, url, valid)).Status);
            scrapes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        var metrics = (await GetAsync(scraper, url, valid)).Body;
        Assert.Equal(floods, Value(metrics, "conn_exporter_auth_refused_connections_total"));
        Assert.Equal(waiting, Value(metrics, "conn_exporter_auth_throttled_total"));

        // The held requests get their 429 after the delay; then the address has its places back.
        var results = await Task.WhenAll(held);
        output.WriteLine($"flood connections closed after: {Percentiles(closedAfter)}");
        output.WriteLine($"valid scrapes meanwhile:        {Percentiles(scrapes)}");
        output.WriteLine($"held requests answered after:   {string.Join(", ", results.Select(r => r.Item2.ToString("F2", CultureInfo.InvariantCulture)))} s");
        Assert.All(results, r => Assert.Equal(429, r.Status));
        Assert.All(results, r => Assert.True(r.Item2 >= BlockedDelaySeconds - 0.05, $"a held 429 came after {r.Item2:F2} s"));
        foreach (var client in holders) client.Dispose();
        using var again = BoundHttpClient.Create(ns, IPAddress.Loopback, server, _pki.Path("ca.pem"));
        Assert.Equal(429, (await GetAsync(again, url, valid)).Status);
        Assert.Equal(floods, Value((await GetAsync(scraper, url, valid)).Body, "conn_exporter_auth_refused_connections_total"));
        exporter.Kill(entireProcessTree: true);
    }
}
