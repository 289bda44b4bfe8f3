using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConnExporter.Inventory;
using ConnExporter.Metrics;
using ConnExporter.Tests.Infrastructure;
using ConnExporter.Web;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConnExporter.Tests.Web;

/// <summary>The real exporter in the scenario's namespace, its API against the real <c>connections</c> command and ss.</summary>
public sealed class ConnectionsApiFixture : IDisposable
{
    public const int Port = 9814;

    public HostScenario Scenario { get; } = new();

    public RunningExporter? Exporter { get; }

    public ConnectionsApiFixture()
    {
        if (Scenario.Namespace is null) return;
        Exporter = new RunningExporter(Scenario.Ns, Port, "--no-collector.netns");
    }

    public void Dispose()
    {
        Exporter?.Dispose();
        Scenario.Dispose();
    }
}

public sealed class ConnectionsApiTests(ConnectionsApiFixture fixture) : IClassFixture<ConnectionsApiFixture>
{
    private RunningExporter Exporter => fixture.Exporter!;
    private TestNamespace Ns => fixture.Scenario.Ns;

    /// <summary>Status and body of a GET inside the namespace.</summary>
    private (int Status, string Body, string Headers) Get(string pathAndQuery, RunningExporter? exporter = null, params string[] extra)
    {
        var e = exporter ?? Exporter;
        var headers = Path.GetTempFileName();
        try
        {
            var output = e.Curl(pathAndQuery, false, ["-D", headers, "-w", "\n%{http_code}", .. extra]);
            int cut = output.LastIndexOf('\n');
            return (int.Parse(output[(cut + 1)..], CultureInfo.InvariantCulture), output[..cut], File.ReadAllText(headers));
        }
        finally
        {
            File.Delete(headers);
        }
    }

    private static bool IsOwn(JsonNode row, int port) =>
        (int)row["local_port"]! == port || (int)row["remote_port"]! == port;

    /// <summary>Rows as canonical JSON lines without what legitimately moves between two reads
    /// (tcp_info's RTT estimates) and without the API's own HTTP connections.</summary>
    private static List<string> Canonical(string json, int port, bool withNetns = true) =>
        [.. JsonNode.Parse(json)!.AsArray().Where(r => !IsOwn(r!, port)).Select(r =>
        {
            var o = r!.AsObject();
            o.Remove("tcp_info");
            if (!withNetns) o.Remove("netns");
            return o.ToJsonString();
        }).Order()];

    private List<string> Command(params string[] flags)
    {
        var result = ExporterProcess.Run(Ns, ["connections", "--output", "json", "--netns", "host", .. flags]);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        return Canonical(result.Stdout, ConnectionsApiFixture.Port);
    }

    private List<string> Api(string query)
    {
        var (status, body, _) = Get(ConnectionsApi.Path + query);
        Assert.True(status == 200, $"{query}: {status} {body}");
        return Canonical(body, ConnectionsApiFixture.Port);
    }

    /// <summary>The API and the command, read until two reads of the command agree (TIME_WAIT may expire meanwhile).</summary>
    private void AssertSame(string query, params string[] flags)
    {
        for (int attempt = 1; ; attempt++)
        {
            var before = Command(flags);
            var api = Api(query);
            var after = Command(flags);
            if (!before.SequenceEqual(after) && attempt < 5) continue;
            Assert.Equal(before, api);
            return;
        }
    }

    [RootFact]
    public void RowsEqualTheConnectionsCommand()
    {
        AssertSame("?netns=host");
        AssertSame(""); // the exporter reads only its own namespace here: netns defaults to all, as the command's
        Assert.True(Command().Count > 15, "the scenario's sockets are there");
    }

    [RootFact]
    public void WithEveryNamespaceReadTheHostsRowsEqualTheCommand()
    {
        // The default exporter reads every namespace on the machine (other tests' too); netns=host
        // picks this one. The command, reading only its own namespace, does not look up its
        // inode (0), so that field alone is left out of the comparison; it must be one inode.
        using var all = new RunningExporter(Ns, ConnectionsApiFixture.Port + 12);
        for (int attempt = 1; ; attempt++)
        {
            var result = ExporterProcess.Run(Ns, "connections", "--output", "json", "--netns", "host");
            var before = Canonical(result.Stdout, all.Port, withNetns: false);
            var (status, body, _) = Get(ConnectionsApi.Path + "?netns=host", all);
            Assert.Equal(200, status);
            var api = Canonical(body, all.Port, withNetns: false);
            var after = Canonical(ExporterProcess.Run(Ns, "connections", "--output", "json", "--netns", "host").Stdout, all.Port, withNetns: false);
            if (!before.SequenceEqual(after) && attempt < 5) continue;
            Assert.Equal(before, api);
            Assert.Single(JsonNode.Parse(body)!.AsArray().Select(r => (ulong)r!["netns"]!).Distinct());
            break;
        }
    }

    [RootTheory]
    [InlineData("?protocol=udp&state=UNCONN", new[] { "--protocol", "udp", "--state", "UNCONN" })]
    [InlineData("?port=8080", new[] { "--port", "8080" })]
    [InlineData("?state=LISTEN&state=TIME_WAIT", new[] { "--state", "LISTEN", "--state", "TIME_WAIT" })]
    [InlineData("?protocol=tcp&state=established", new[] { "--protocol", "tcp", "--state", "established" })]
    public void FiltersAreTheCommandsFlags(string query, string[] flags)
    {
        AssertSame(query, flags);
        Assert.NotEmpty(Api(query));
    }

    [RootFact]
    public void OwnerInterfaceAndListeningFiltersFollowSs()
    {
        var ss = SsRow.Read(Ns, "ipv4").Concat(SsRow.Read(Ns, "ipv6")).Where(r => r.LocalPort != ConnectionsApiFixture.Port && r.RemotePort != ConnectionsApiFixture.Port).ToList();
        static List<string> Keys(IEnumerable<string> rows) => [.. rows.Select(r =>
        {
            var o = JsonNode.Parse(r)!;
            return $"{o["protocol"]}|{o["local_address"]}|{o["local_port"]}|{o["remote_address"]}|{o["remote_port"]}|{o["state"]}";
        }).Order()];

        Assert.Equal(ss.Where(r => r.State is "LISTEN" or "UNCONN").Select(r => r.Key).Order(), Keys(Api("?listening")));
        Assert.Equal(ss.Where(r => r.Pids.Contains(fixture.Scenario.SharedChildPid)).Select(r => r.Key).Order(),
            Keys(Api($"?process={fixture.Scenario.SharedChildPid}")));
        var hostile = Api("?process=" + Uri.EscapeDataString(fixture.Scenario.HostileName));
        Assert.Equal(ss.Where(r => r.Pids.Contains(fixture.Scenario.HostilePid)).Select(r => r.Key).Order(), Keys(hostile));
        var tun = Api("?interface=wg-faas");
        Assert.NotEmpty(tun);
        Assert.All(tun, r => Assert.Contains((string)JsonNode.Parse(r)!["interface"]!, new[] { "wg-faas", "any" }));
        Assert.True(tun.Count < Api("").Count);

        // Units and containers: whatever the scenario's processes run in (a session scope, a
        // service, or nothing), the filter selects exactly the rows that carry it.
        var every = Api("").Select(r => JsonNode.Parse(r)!).ToList();
        foreach (var unit in every.Select(r => (string?)r["unit"]).OfType<string>().Distinct())
            Assert.Equal(every.Count(r => (string?)r["unit"] == unit), Api("?unit=" + Uri.EscapeDataString(unit)).Count);
        Assert.Empty(Api("?unit=no-such-unit.service"));
        Assert.Empty(Api("?container=0123456789ab"));
    }

    [RootTheory]
    [InlineData("?state=BOGUS", "invalid value 'BOGUS' for 'state'")]
    [InlineData("?port=70000", "invalid value '70000' for 'port'")]
    [InlineData("?protocol=sctp", "invalid value 'sctp' for 'protocol'")]
    [InlineData("?listening=maybe", "invalid value 'maybe' for 'listening'")]
    [InlineData("?netns=", "invalid value '' for 'netns'")]
    [InlineData("?prot=tcp", "unknown query parameter 'prot'")]
    [InlineData("?port=1&port=2", "query parameter 'port' given 2 times")]
    public void BadParametersAre400WithOneLineOfJson(string query, string message)
    {
        var (status, body, headers) = Get(ConnectionsApi.Path + query);
        Assert.Equal(400, status);
        Assert.Contains("Content-Type: application/json", headers, StringComparison.OrdinalIgnoreCase);
        var line = Assert.Single(body.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var doc = JsonDocument.Parse(line);
        Assert.StartsWith(message, doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [RootFact]
    public void SaysWhenTheSnapshotWasTakenAndGzipsOnRequest()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var (status, plain, headers) = Get(ConnectionsApi.Path);
        Assert.Equal(200, status);
        var taken = DateTimeOffset.Parse(Header(headers, ConnectionsApi.TakenAtHeader), CultureInfo.InvariantCulture);
        Assert.InRange(taken, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal("resolved", Header(headers, ConnectionsApi.OwnersHeader));
        Assert.Equal("no-store", Header(headers, "Cache-Control"));

        var (_, unzipped, zipHeaders) = Get(ConnectionsApi.Path + "?protocol=udp", null, "--compressed");
        Assert.Equal("gzip", Header(zipHeaders, "Content-Encoding"));
        Assert.Equal(Canonical(Get(ConnectionsApi.Path + "?protocol=udp").Body, ConnectionsApiFixture.Port),
            Canonical(unzipped, ConnectionsApiFixture.Port));
        Assert.NotEmpty(Canonical(plain, ConnectionsApiFixture.Port));
    }

    [RootFact]
    public void WithoutOwnersTheApiSaysSoAndRefusesOwnerFilters()
    {
        using var bare = new RunningExporter(Ns, ConnectionsApiFixture.Port + 10, "--no-collector.netns", "--collector.disable-defaults", "--collector.sockets");
        var (status, body, headers) = Get(ConnectionsApi.Path, bare);
        Assert.Equal(200, status);
        Assert.Equal("off", Header(headers, ConnectionsApi.OwnersHeader));
        var rows = JsonNode.Parse(body)!.AsArray();
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Empty(r!["processes"]!.AsArray()));
        var refused = Get(ConnectionsApi.Path + "?process=python3", bare);
        Assert.Equal(400, refused.Status);
        Assert.Contains("'process' needs socket owners", refused.Body, StringComparison.Ordinal);
    }

    [RootFact]
    public void DisableUiTurnsPageAndApiOffAndTheLandingPageLinksThem()
    {
        var landing = Get("/").Body;
        Assert.Contains("href=\"connections\"", landing, StringComparison.Ordinal);
        Assert.Contains("href=\"api/v1/connections\"", landing, StringComparison.Ordinal);
        Assert.Equal(200, Get(ConnectionsPage.Path).Status);

        using var off = new RunningExporter(Ns, ConnectionsApiFixture.Port + 11, "--no-collector.netns", "--web.disable-ui");
        Assert.Equal(404, Get(ConnectionsPage.Path, off).Status);
        Assert.Equal(404, Get(ConnectionsApi.Path, off).Status);
        Assert.Equal(404, Get("/assets/connections.js", off).Status);
        Assert.DoesNotContain("href=\"connections\"", Get("/", off).Body, StringComparison.Ordinal);
        Assert.Equal(200, Get("/metrics", off).Status);
    }

    private static string Header(string headers, string name) =>
        headers.Split("\r\n").Select(l => l.Split(':', 2)).Single(p => p.Length == 2 && p[0].Equals(name, StringComparison.OrdinalIgnoreCase))[1].Trim();
}

/// <summary>The API and /metrics served in-process over one <see cref="SharedCollection"/> whose
/// kernel read is held open: requests arriving meanwhile all wait for that one read.</summary>
public sealed class ConnectionsApiSharedCollectionTests
{
    [Fact]
    public async Task ApiAndScrapesJoinOneCollection()
    {
        int takes = 0;
        using var release = new ManualResetEventSlim();
        var collection = new SharedCollection(() =>
        {
            Interlocked.Increment(ref takes);
            release.Wait(TimeSpan.FromSeconds(20));
            return new Snapshot([], new SnapshotStats("netlink", 0, 0, 0, OwnersResolved: true, 0), DateTimeOffset.UtcNow);
        });
        var renderer = new ScrapeRenderer([new SocketsView()], new DroppedSeries(), null, NullLogger.Instance);
        var settings = new ExporterServer.Settings([new ListenAddress(IPAddress.Loopback, null, 0)], "/metrics", 40);
        await using var app = ExporterServer.Build(settings, collection, renderer, new ExporterHealth(collection, TimeSpan.FromMinutes(2)), NullLoggerFactory.Instance);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        var requests = new[] { ConnectionsApi.Path, ConnectionsApi.Path + "?protocol=tcp", "/metrics", ConnectionsApi.Path }
            .Select(p => http.GetAsync(p)).ToList();
        var waited = Stopwatch.StartNew();
        while (Volatile.Read(ref takes) == 0 && waited.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);
        await Task.Delay(300); // let every request arrive while the read is held
        Assert.All(requests, r => Assert.False(r.IsCompleted));
        release.Set();
        var responses = await Task.WhenAll(requests);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, takes);
        Assert.Equal("[]", (await responses[0].Content.ReadAsStringAsync()).Trim());
        await app.StopAsync();
    }
}
