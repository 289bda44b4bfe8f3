using System.Text.Json;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Integration;

/// <summary>
/// <c>conn-exporter connections --output json</c>, run for real inside a namespace holding a
/// known socket mix, against <c>ss -tuanp</c> in the same namespace.
/// </summary>
public sealed class ConnectionsCommandTests(HostScenario scenario) : IClassFixture<HostScenario>
{
    private sealed record Row(
        string Protocol, string Family, string State, string LocalAddress, int LocalPort,
        string RemoteAddress, int RemotePort, string Interface, string Direction, ulong Inode,
        IReadOnlySet<int> Pids, IReadOnlyList<string> Names, string? Unit)
    {
        public string Key => $"{Protocol}|{LocalAddress}|{LocalPort}|{RemoteAddress}|{RemotePort}|{State}";
    }

    private List<Row> Inventory(params string[] extra) =>
        Rows(ExporterProcess.Run(scenario.Ns, ["connections", "--output", "json", "--netns", "host", .. extra]));

    private static List<Row> Rows(ExporterProcess.Result result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        using var doc = JsonDocument.Parse(result.Stdout);
        return doc.RootElement.EnumerateArray().Select(e => new Row(
            e.GetProperty("protocol").GetString()!, e.GetProperty("family").GetString()!,
            e.GetProperty("state").GetString()!, e.GetProperty("local_address").GetString()!,
            e.GetProperty("local_port").GetInt32(), e.GetProperty("remote_address").GetString()!,
            e.GetProperty("remote_port").GetInt32(), e.GetProperty("interface").GetString()!,
            e.GetProperty("direction").GetString()!, e.GetProperty("inode").GetUInt64(),
            e.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToHashSet(),
            e.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToList(),
            e.GetProperty("unit").GetString())).ToList();
    }

    private List<SsRow> Ss() => [.. SsRow.Read(scenario.Ns, "ipv4"), .. SsRow.Read(scenario.Ns, "ipv6")];

    [RootTheory]
    [InlineData("netlink")]
    [InlineData("procfs")]
    public void CountsPerProtocolFamilyStateEqualSs(string source)
    {
        var ours = Inventory("--collector.source", source)
            .GroupBy(r => $"{r.Protocol}/{r.Family}/{r.State}").ToDictionary(g => g.Key, g => g.Count());
        var truth = Ss().GroupBy(r => $"{r.Protocol}/{r.Family}/{r.State}").ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(truth.OrderBy(k => k.Key), ours.OrderBy(k => k.Key));
        Assert.True(truth.GetValueOrDefault("tcp/ipv4/TIME_WAIT") >= 1, "scenario should hold a TIME_WAIT socket");
    }

    [RootFact]
    public void EverySsSocketIsInTheInventoryWithTheSameOwners()
    {
        var ours = Inventory().ToLookup(r => r.Key);
        foreach (var truth in Ss())
        {
            var match = ours[truth.Key].ToList();
            Assert.True(match.Count >= 1, $"missing {truth.Key}");
            Assert.Contains(match, r => r.Pids.SetEquals(truth.Pids));
        }
    }

    private static string OwnerLine(Row r) =>
        $"{r.Key}|{r.Inode}|{string.Join(',', r.Pids.Order())}|{string.Join(',', r.Names.Order())}|{r.Unit}";

    /// <summary>
    /// The kernel's task/file iterator (the default) and the /proc walk find the same owners, and
    /// the debug log says which one did; without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN the
    /// iterator is refused and the walk answers the same.
    /// </summary>
    [RootFact]
    public void OwnersFromTheKernelIteratorEqualOwnersFromProcAndSurviveTheIteratorBeingRefused()
    {
        var kernel = ExporterProcess.Run(scenario.Ns, ["connections", "--output", "json", "--netns", "host", "--log.level", "debug"]);
        Assert.Contains("Socket owners come from the kernel's task/file iterator", kernel.Stderr);
        var proc = ExporterProcess.Run(scenario.Ns, ["connections", "--output", "json", "--netns", "host", "--owners-from", "proc", "--log.level", "debug"]);
        Assert.DoesNotContain("task/file iterator", proc.Stderr);
        var refused = ExporterProcess.Run(scenario.Ns, ["connections", "--output", "json", "--netns", "host", "--log.level", "debug"],
            wrapper: ["setpriv", "--bounding-set=-bpf,-perfmon,-sys_admin", "--inh-caps=-bpf,-perfmon,-sys_admin"]);
        Assert.Contains("Socket owners come from walking /proc/<pid>/fd: loading the socket-descriptor iterator was refused (EPERM): it needs CAP_BPF and CAP_PERFMON", refused.Stderr);

        var expected = Rows(proc).Select(OwnerLine).Order().ToList();
        Assert.Contains(expected, l => !l.Contains("||")); // some socket has owners to compare
        Assert.Equal(expected, Rows(kernel).Select(OwnerLine).Order().ToList());
        Assert.Equal(expected, Rows(refused).Select(OwnerLine).Order().ToList());
    }

    [RootFact]
    public void ProcfsAndNetlinkYieldTheSameInventory()
    {
        static string Line(Row r) =>
            $"{r.Key}|{r.Family}|{r.Inode}|{r.Interface}|{r.Direction}|{string.Join(',', r.Pids.Order())}";
        // The device-bound socket is the one thing procfs cannot see (no SO_BINDTODEVICE there).
        var netlink = Inventory().Where(r => r.LocalPort != 6000).Select(Line).Order().ToList();
        var procfs = Inventory("--collector.source=procfs").Where(r => r.LocalPort != 6000).Select(Line).Order().ToList();
        Assert.Equal(netlink, procfs);
    }

    [RootFact]
    public void InterfacesComeFromTheAddressTable()
    {
        var rows = Inventory();
        string IfaceOf(string proto, int port, string state, string family) =>
            rows.Single(r => r.Protocol == proto && r.LocalPort == port && r.State == state && r.Family == family).Interface;

        Assert.Equal("wg-faas", IfaceOf("tcp", 8080, "LISTEN", "ipv4"));
        Assert.Equal("wg-faas", IfaceOf("tcp", 8443, "LISTEN", "ipv6"));
        Assert.Equal("any", IfaceOf("tcp", 9000, "LISTEN", "ipv6"));
        Assert.Equal("any", IfaceOf("tcp", 9100, "LISTEN", "ipv4"));
        Assert.Equal("lo", IfaceOf("udp", 53, "UNCONN", "ipv4"));       // 127.0.0.53 is loopback
        Assert.Equal("wg-faas", IfaceOf("udp", 6000, "UNCONN", "ipv4")); // SO_BINDTODEVICE wins
        // Dual-stack accepted sockets see ::ffff:10.x: normalised, then matched to the tun link.
        var mapped = rows.Where(r => r.Family == "ipv6" && r.LocalPort == 9000 && r.State == "ESTABLISHED").ToList();
        Assert.Equal(2, mapped.Count);
        Assert.All(mapped, r => Assert.DoesNotContain("::ffff:", r.LocalAddress, StringComparison.Ordinal));
        Assert.Equal(["lo", "wg-faas"], mapped.Select(r => r.Interface).Order());
        Assert.DoesNotContain(rows, r => r.Interface == "unknown");
    }

    [RootFact]
    public void OwnersUnownedAndHostileNames()
    {
        var rows = Inventory();
        var shared = rows.Single(r => r.Protocol == "tcp" && r.LocalPort == 9100 && r.State == "LISTEN");
        Assert.Equal(new HashSet<int> { scenario.MainPid, scenario.SharedChildPid }, shared.Pids);

        var hostile = rows.Single(r => r.Protocol == "tcp" && r.LocalPort == 9200 && r.State == "LISTEN");
        Assert.Equal([scenario.HostileName], hostile.Names);
        Assert.Equal(new HashSet<int> { scenario.HostilePid }, hostile.Pids);

        var timeWait = rows.Where(r => r.State == "TIME_WAIT").ToList();
        Assert.NotEmpty(timeWait);
        Assert.All(timeWait, r => Assert.Equal(0UL, r.Inode));
        Assert.All(timeWait, r => Assert.Empty(r.Pids));

        // The unit is what the process's own cgroup file names (a scope or service, or none).
        var cgroup = File.ReadAllText($"/proc/{scenario.MainPid}/cgroup");
        var listener = rows.Single(r => r.Protocol == "tcp" && r.LocalPort == 8080 && r.State == "LISTEN");
        if (listener.Unit is not null) Assert.Contains(listener.Unit, cgroup, StringComparison.Ordinal);
    }

    [RootFact]
    public void DirectionsFollowListeningPorts()
    {
        var rows = Inventory();
        var pair = rows.Where(r => r.Protocol == "tcp" && r.State == "ESTABLISHED" && r.Family == "ipv4"
                                   && (r.LocalPort == 8080 || r.RemotePort == 8080)).ToList();
        Assert.Equal("incoming", pair.Single(r => r.LocalPort == 8080).Direction);
        Assert.Equal("outgoing", pair.Single(r => r.RemotePort == 8080).Direction);
        Assert.All(rows.Where(r => r.State == "LISTEN"), r => Assert.Equal("listen", r.Direction));
        Assert.All(rows.Where(r => r.State == "UNCONN"), r => Assert.Equal("unknown", r.Direction));
        Assert.Equal("outgoing", rows.Single(r => r.Protocol == "udp" && r.State == "ESTABLISHED").Direction);
    }

    [RootFact]
    public void FiltersSelectProtocolStateAndPort()
    {
        var udp = Inventory("--protocol", "udp", "--state", "UNCONN");
        Assert.Equal(3, udp.Count);
        Assert.All(udp, r => Assert.Equal(("udp", "UNCONN"), (r.Protocol, r.State)));

        var port = Inventory("--port", "8080");
        Assert.Equal(3, port.Count); // the listener and both ends of its pair
        Assert.All(port, r => Assert.True(r.LocalPort == 8080 || r.RemotePort == 8080));
    }

    [RootFact]
    public void TableOutputNamesProcessesAndUnowned()
    {
        var result = ExporterProcess.Run(scenario.Ns, "connections", "--netns", "host");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Netid", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("TIME_WAIT", StringComparison.Ordinal) && l.Contains("unowned", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"(pid={scenario.HostilePid})", StringComparison.Ordinal)
                                    && l.Contains("we\\\"ird\\\\nm", StringComparison.Ordinal));
    }

    /// <summary>The JSON output carries each established TCP socket's tcp_info (netlink); procfs has none to give.</summary>
    [RootFact]
    public void JsonCarriesTcpInfoOfEstablishedTcpSocketsFromNetlink()
    {
        var result = ExporterProcess.Run(scenario.Ns, ["connections", "--output", "json", "--netns", "host", "--protocol", "tcp", "--state", "ESTABLISHED"]);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        using var doc = JsonDocument.Parse(result.Stdout);
        var established = doc.RootElement.EnumerateArray().ToList();
        Assert.NotEmpty(established);
        Assert.All(established, e => Assert.True(
            e.TryGetProperty("tcp_info", out var info) && info.GetProperty("rtt_us").GetUInt32() > 0,
            $"no tcp_info with an RTT: {e}"));

        var procfs = ExporterProcess.Run(scenario.Ns, ["connections", "--output", "json", "--netns", "host", "--protocol", "tcp", "--collector.source", "procfs"]);
        using var plain = JsonDocument.Parse(procfs.Stdout);
        Assert.All(plain.RootElement.EnumerateArray(), e => Assert.False(e.TryGetProperty("tcp_info", out _), e.ToString()));
    }
}
