using System.Text.Json;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Integration;

/// <summary>
/// The connections command's filters and views (<c>--listening</c>, <c>--process</c>,
/// <c>--unit</c>, <c>--interface</c>, <c>--netns</c>, <c>--summary</c>, <c>--group-by</c>) run for
/// real in a namespace holding a known socket mix, against <c>ss -tuanp</c> there.
/// </summary>
public sealed class ConnectionsViewsCommandTests(HostScenario scenario) : IClassFixture<HostScenario>
{
    private sealed record Row(string Protocol, string State, string LocalAddress, int LocalPort, string RemoteAddress,
        int RemotePort, string Interface, string Direction, IReadOnlySet<int> Pids, string? Unit, ulong Netns)
    {
        public string Key => $"{Protocol}|{LocalAddress}|{LocalPort}|{RemoteAddress}|{RemotePort}|{State}";
    }

    private JsonDocument Json(params string[] extra)
    {
        // The scenario's own namespace unless a test asks otherwise: others on the machine come and go.
        string[] netns = extra.Any(a => a.StartsWith("--netns", StringComparison.Ordinal)) ? [] : ["--netns", "host"];
        var result = ExporterProcess.Run(scenario.Ns, ["connections", "--output", "json", .. netns, .. extra]);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        return JsonDocument.Parse(result.Stdout);
    }

    private List<Row> Rows(params string[] extra)
    {
        using var doc = Json(extra);
        return doc.RootElement.EnumerateArray().Select(e => new Row(
            e.GetProperty("protocol").GetString()!, e.GetProperty("state").GetString()!,
            e.GetProperty("local_address").GetString()!, e.GetProperty("local_port").GetInt32(),
            e.GetProperty("remote_address").GetString()!, e.GetProperty("remote_port").GetInt32(),
            e.GetProperty("interface").GetString()!, e.GetProperty("direction").GetString()!,
            e.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToHashSet(),
            e.GetProperty("unit").GetString(), e.GetProperty("netns").GetUInt64())).ToList();
    }

    private List<SsRow> Ss() => [.. SsRow.Read(scenario.Ns, "ipv4"), .. SsRow.Read(scenario.Ns, "ipv6")];

    private static List<string> Keys(IEnumerable<Row> rows) => rows.Select(r => r.Key).Order(StringComparer.Ordinal).ToList();

    private static List<string> Keys(IEnumerable<SsRow> rows) => rows.Select(r => r.Key).Order(StringComparer.Ordinal).ToList();

    [RootFact]
    public void Listening_is_what_ss_lists_with_l()
    {
        var truth = Ss().Where(r => r.State is "LISTEN" || (r.Protocol == "udp" && r.State == "UNCONN")).ToList();
        Assert.True(truth.Count >= 5, "scenario should hold listeners");
        Assert.Equal(Keys(truth), Keys(Rows("--listening")));
        Assert.Equal(Keys(truth.Where(r => r.Protocol == "tcp")), Keys(Rows("--listening", "--protocol", "tcp")));
    }

    [RootFact]
    public void Process_by_name_and_by_pid_selects_the_sockets_ss_attributes_to_it()
    {
        var hostile = Ss().Where(r => r.Pids.Contains(scenario.HostilePid)).ToList();
        Assert.NotEmpty(hostile);
        Assert.Equal(Keys(hostile), Keys(Rows("--process", scenario.HostileName)));
        var main = Ss().Where(r => r.Pids.Contains(scenario.MainPid)).ToList();
        Assert.True(main.Count > hostile.Count);
        Assert.Equal(Keys(main), Keys(Rows("--process", scenario.MainPid.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Empty(Rows("--process", "no-such-comm"));
    }

    [RootFact]
    public void Unit_selects_the_sockets_of_processes_in_that_unit()
    {
        var all = Rows();
        Assert.Empty(Rows("--unit", "no-such-unit.service"));
        var units = all.Where(r => r.Unit is not null).Select(r => r.Unit!).Distinct().ToList();
        foreach (var unit in units)
        {
            // The pids whose cgroup file names that unit, as ss attributes sockets to them.
            var pids = all.SelectMany(r => r.Pids).Distinct()
                .Where(p => File.Exists($"/proc/{p}/cgroup") && File.ReadAllText($"/proc/{p}/cgroup").Contains("/" + unit, StringComparison.Ordinal))
                .ToHashSet();
            Assert.NotEmpty(pids);
            Assert.Equal(Keys(Ss().Where(r => r.Pids.Overlaps(pids))), Keys(Rows("--unit", unit)));
        }
    }

    [RootFact]
    public void Interface_selects_its_sockets_and_the_wildcard_ones()
    {
        // TIME_WAIT sockets left by the scenario's other tests expire between two runs (60 s
        // after their close, at any moment): they are left out of the comparisons.
        static IEnumerable<Row> Lasting(IEnumerable<Row> rows) => rows.Where(r => r.State != "TIME_WAIT");
        var all = Lasting(Rows()).ToList();
        var tun = Lasting(Rows("--interface", "wg-faas")).ToList();
        Assert.Contains(tun, r => r.Interface == "wg-faas");
        Assert.Contains(tun, r => r.Interface == "any");
        Assert.Equal(Keys(all.Where(r => r.Interface is "wg-faas" or "any")), Keys(tun));
        Assert.Equal(Keys(all.Where(r => r.Interface is "lo" or "any")), Keys(Lasting(Rows("--interface", "lo"))));
        Assert.All(Rows("--interface", "any"), r => Assert.Equal("any", r.Interface));
    }

    [RootFact]
    public void Netns_and_container_columns_are_present_and_filter()
    {
        var host = Rows();
        Assert.All(host, r => Assert.Equal(0UL, r.Netns)); // --netns host reads no namespace inode
        // Read as one of all the host's namespaces, the scenario's sockets carry its inode (what
        // /proc/<pid>/ns/net of a process in it links to), and --netns by inode selects them.
        var link = scenario.Ns.Exec("readlink", $"/proc/{scenario.MainPid}/ns/net").Trim();
        var all = Rows("--netns", "all");
        var listener = all.Single(r => r.Pids.Contains(scenario.MainPid) && r.LocalPort == 8080 && r.State == "LISTEN");
        Assert.Equal($"net:[{listener.Netns}]", link);
        var inode = listener.Netns.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var picked = Rows("--netns", inode);
        Assert.All(picked, r => Assert.Equal(listener.Netns, r.Netns));
        Assert.Superset(Keys(host).ToHashSet(), Keys(picked).ToHashSet());
        Assert.Empty(Rows("--netns", "1"));
        Assert.Empty(Rows("--container", "no-such-container"));
        var table = ExporterProcess.Run(scenario.Ns, "connections", "--netns", inode, "--listening");
        Assert.Equal(0, table.ExitCode);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0];
        Assert.Contains(" Netns ", header, StringComparison.Ordinal);
        Assert.Contains(" Container ", header, StringComparison.Ordinal);
        Assert.EndsWith(" Process", header, StringComparison.Ordinal);
        int at = header.IndexOf(" Netns ", StringComparison.Ordinal) + 1;
        Assert.All(lines.Skip(1), l => Assert.StartsWith(inode + " ", l[at..], StringComparison.Ordinal));
    }

    [RootFact]
    public void Summary_counts_equal_ss_counts_per_state_and_per_first_owner()
    {
        var ss = Ss();
        using var doc = Json("--summary");
        var states = doc.RootElement.GetProperty("states").EnumerateArray()
            .ToDictionary(e => $"{e.GetProperty("protocol").GetString()}/{e.GetProperty("state").GetString()}", e => e.GetProperty("sockets").GetInt32());
        var truth = ss.GroupBy(r => $"{r.Protocol}/{r.State}").ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(truth.OrderBy(k => k.Key), states.OrderBy(k => k.Key));
        Assert.Equal(ss.Count, doc.RootElement.GetProperty("total").GetInt32());

        // Per process: each socket counts once, for its lowest pid's comm; unowned for none.
        string Comm(int pid) => File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');
        var perProcess = ss.GroupBy(r => r.Pids.Count == 0 ? "unowned" : Comm(r.Pids.Min())).ToDictionary(g => g.Key, g => g.Count());
        var ours = doc.RootElement.GetProperty("processes").EnumerateArray()
            .GroupBy(e => e.GetProperty("process").GetString()!).ToDictionary(g => g.Key, g => g.Sum(e => e.GetProperty("sockets").GetInt32()));
        Assert.Equal(perProcess.OrderBy(k => k.Key, StringComparer.Ordinal), ours.OrderBy(k => k.Key, StringComparer.Ordinal));

        var text = ExporterProcess.Run(scenario.Ns, "connections", "--netns", "host", "--summary", "--protocol", "udp");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("udp   UNCONN", text.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("tcp ", text.Stdout, StringComparison.Ordinal);
    }

    [RootFact]
    public void Group_by_peer_is_ss_established_connections_without_ephemeral_ports()
    {
        var ss = Ss();
        var listening = ss.Where(r => r.State == "LISTEN").Select(r => (r.Protocol, r.LocalPort)).ToHashSet();
        var truth = ss.Where(r => r.State == "ESTABLISHED")
            .Select(r => listening.Contains((r.Protocol, r.LocalPort))
                ? $"incoming {r.Protocol} {r.RemoteAddress} {r.LocalPort}"
                : $"outgoing {r.Protocol} {r.RemoteAddress} {r.RemotePort}")
            .GroupBy(k => k).Select(g => $"{g.Key} {g.Count()}").Order(StringComparer.Ordinal).ToList();
        Assert.Contains(truth, t => t.StartsWith("incoming", StringComparison.Ordinal));
        using var doc = Json("--group-by", "peer");
        // Process and unit split groups further; summed over them the counts are ss's.
        var ours = doc.RootElement.EnumerateArray()
            .GroupBy(e => $"{e.GetProperty("direction").GetString()} {e.GetProperty("protocol").GetString()} {e.GetProperty("peer_address").GetString()} {e.GetProperty("port").GetInt32()}")
            .Select(g => $"{g.Key} {g.Sum(e => e.GetProperty("connections").GetInt32())}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(truth, ours);
    }

    [RootFact]
    public void Group_by_process_counts_each_socket_once_for_its_first_owner()
    {
        var ss = Ss();
        using var doc = Json("--group-by", "process");
        var groups = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(ss.Count, groups.Sum(g => g.GetProperty("sockets").GetInt32()));
        Assert.All(groups, g => Assert.Equal(g.GetProperty("sockets").GetInt32(),
            g.GetProperty("states").EnumerateArray().Sum(s => s.GetProperty("sockets").GetInt32())));
        var table = ExporterProcess.Run(scenario.Ns, "connections", "--netns", "host", "--group-by", "unit");
        Assert.Equal(0, table.ExitCode);
        Assert.StartsWith("Unit", table.Stdout, StringComparison.Ordinal);
    }

    [RootTheory]
    [InlineData("--interface=eth/0", "--interface")]
    [InlineData("--state=OPEN", "--state")]
    [InlineData("--port=70000", "--port")]
    [InlineData("--group-by=pid", "--group-by")]
    [InlineData("--netns=", "--netns")]
    [InlineData("--no-owners --process=sshd", "--process")]
    [InlineData("--no-owners --group-by=unit", "--group-by")]
    [InlineData("--summary --group-by=peer", "--summary")]
    public void Wrong_values_are_one_line_and_exit_2(string args, string flag)
    {
        var r = ExporterProcess.Run(scenario.Ns, ["connections", .. args.Split(' ')]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("conn-exporter: error: ", line, StringComparison.Ordinal);
        Assert.Contains(flag, line, StringComparison.Ordinal);
    }
}
