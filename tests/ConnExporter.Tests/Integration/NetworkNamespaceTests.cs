using System.Diagnostics;
using System.Text.Json;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Integration;

/// <summary>
/// Every network namespace of the host, read from the host: pod-like namespaces with processes
/// (a veth between two of them), a namespace pinned without a process, one whose processes come
/// and go during scrapes. The ground truth is <c>nsenter -t PID -n ss -tuanp</c> in each.
/// </summary>
// Each test filters the host-wide inventory by the namespace inodes it made itself, so other
// tests' namespaces coming and going meanwhile do not disturb it.
public sealed class NetworkNamespaceTests
{
    public sealed record Row(string Key, string Interface, string Direction, IReadOnlySet<int> Pids, ulong Netns,
        string? Container, string? ContainerName, string? Pod, string? PodNamespace);

    /// <summary>Two namespaces joined by a veth pair, like two pods on a node's bridge: A listens
    /// (TCP dual-stack 8080, UDP 5353) and talks to itself on loopback, B connects to A.</summary>
    public sealed class PodPair : IDisposable
    {
        public readonly TestNamespace A = new("cxa");
        public readonly TestNamespace B = new("cxb");
        public readonly int PidA;
        public readonly int PidB;
        public readonly string VethA;
        public readonly string VethB;
        public readonly string AddressA;

        public PodPair()
        {
            int n = Random.Shared.Next(2, 250);
            VethA = $"cxva{n}";
            VethB = $"cxvb{n}";
            AddressA = $"10.213.{n}.1";
            TestNamespace.Ip($"link add {VethA} netns {A.Name} type veth peer name {VethB} netns {B.Name}");
            TestNamespace.Ip($"-n {A.Name} addr add {AddressA}/24 dev {VethA}");
            TestNamespace.Ip($"-n {B.Name} addr add 10.213.{n}.2/24 dev {VethB}");
            TestNamespace.Ip($"-n {A.Name} link set {VethA} up");
            TestNamespace.Ip($"-n {B.Name} link set {VethB} up");
            PidA = StartWorkload(A, ["--listen", "8080", "--udp", "5353", "--loop", "8080"]);
            PidB = StartWorkload(B, ["--connect", $"{AddressA}:8080", "--listen", "9090"]);
            Thread.Sleep(300); // A's accept thread takes B's connection
        }

        public void Dispose()
        {
            B.Dispose();
            A.Dispose();
        }
    }

    public static int StartWorkload(TestNamespace ns, string[] args)
    {
        var p = ns.Start("python3", [TestEnvironment.Fixture("netns", "workload.py"), .. args]);
        var line = p.StandardOutput.ReadLine();
        if (line != "ready") throw new InvalidOperationException($"workload {string.Join(' ', args)} did not start: {p.StandardError.ReadToEnd()}");
        return p.Id; // ip netns exec execs the program: same pid
    }

    public static ulong NetnsOf(int pid) =>
        ulong.Parse(TestNamespace.Run("stat", $"-L -c %i /proc/{pid}/ns/net").Trim(), System.Globalization.CultureInfo.InvariantCulture);

    public static List<Row> Connections(params string[] args)
    {
        var result = ExporterProcess.Run(null, ["connections", "--output", "json", .. args]);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        return ParseRows(result.Stdout);
    }

    public static List<Row> ParseRows(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => new Row(
            $"{e.GetProperty("protocol").GetString()}|{e.GetProperty("local_address").GetString()}|{e.GetProperty("local_port").GetInt32()}|" +
            $"{e.GetProperty("remote_address").GetString()}|{e.GetProperty("remote_port").GetInt32()}|{e.GetProperty("state").GetString()}",
            e.GetProperty("interface").GetString()!,
            e.GetProperty("direction").GetString()!,
            e.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToHashSet(),
            e.GetProperty("netns").GetUInt64(),
            e.GetProperty("container").GetString(),
            e.GetProperty("container_name").GetString(),
            e.GetProperty("pod").GetString(),
            e.GetProperty("pod_namespace").GetString())).ToList();
    }

    public static List<SsRow> SsInside(int pid) => [.. SsRow.ReadInside(pid, "ipv4"), .. SsRow.ReadInside(pid, "ipv6")];

    /// <summary>The namespace's rows equal ss inside it: every socket, and its owners.</summary>
    public static void AssertEqualsSs(IEnumerable<Row> rows, List<SsRow> ss, string what)
    {
        var ours = rows.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.First());
        var theirs = ss.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.First());
        Assert.True(ours.Keys.Order().SequenceEqual(theirs.Keys.Order()),
            $"{what}: sockets differ from ss.\nours:   {string.Join(", ", ours.Keys.Order())}\nss:     {string.Join(", ", theirs.Keys.Order())}");
        foreach (var (key, row) in ours)
            Assert.True(theirs[key].Pids.SetEquals(row.Pids), $"{what}: owners of {key}: ours [{string.Join(",", row.Pids)}], ss [{string.Join(",", theirs[key].Pids)}]");
    }

    [RootTheory]
    [InlineData("procfs")]
    [InlineData("netlink")]
    public void Each_namespace_with_processes_equals_ss_inside_it(string read)
    {
        using var pods = new PodPair();
        ulong a = NetnsOf(pods.PidA), b = NetnsOf(pods.PidB);
        Assert.NotEqual(a, b);

        var rows = Connections("--collector.netns.read", read);
        var inA = rows.Where(r => r.Netns == a).ToList();
        var inB = rows.Where(r => r.Netns == b).ToList();
        AssertEqualsSs(inA, SsInside(pods.PidA), $"namespace A ({read})");
        AssertEqualsSs(inB, SsInside(pods.PidB), $"namespace B ({read})");

        // Direction is decided per namespace: B's connection is outgoing in B and incoming in A
        // (A listens on 8080, B does not); each side names its own interface.
        var outgoing = inB.Single(r => r.Key.EndsWith($"|{pods.AddressA}|8080|ESTABLISHED", StringComparison.Ordinal));
        Assert.Equal("outgoing", outgoing.Direction);
        Assert.Equal(pods.VethB, outgoing.Interface);
        Assert.Equal(new HashSet<int> { pods.PidB }, outgoing.Pids);
        var incoming = inA.Single(r => r.Key.StartsWith($"tcp|{pods.AddressA}|8080|", StringComparison.Ordinal) && r.Key.EndsWith("|ESTABLISHED", StringComparison.Ordinal));
        Assert.Equal("incoming", incoming.Direction);
        Assert.Equal(pods.VethA, incoming.Interface);
        Assert.Equal("listen", inB.Single(r => r.Key.Contains("|9090|", StringComparison.Ordinal) && r.Key.EndsWith("LISTEN", StringComparison.Ordinal)).Direction);
        Assert.Contains(inA, r => r.Key.StartsWith("tcp|127.0.0.1|", StringComparison.Ordinal) && r.Interface == "lo");
        // Neither namespace's sockets leak into the host's view or the other's.
        Assert.DoesNotContain(rows, r => r.Netns != a && r.Key.Contains($"|{pods.AddressA}|8080|ESTABLISHED", StringComparison.Ordinal) && r.Netns != b);

        // --netns picks one namespace by inode; host shows none of them.
        var onlyA = Connections("--collector.netns.read", read, "--netns", a.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.All(onlyA, r => Assert.Equal(a, r.Netns));
        Assert.Equal(inA.Select(r => r.Key).Order(), onlyA.Select(r => r.Key).Order());
        Assert.DoesNotContain(Connections("--netns", "host"), r => r.Netns == a || r.Netns == b);
    }

    [RootFact]
    public void A_namespace_pinned_without_a_process_is_read_through_setns_and_counted_otherwise()
    {
        string name = $"cxp-{Environment.ProcessId}-{Random.Shared.Next(100000)}";
        TestNamespace.Ip($"netns add {name}");
        try
        {
            TestNamespace.Ip($"-n {name} link set lo up");
            // A connection closed by its client leaves a TIME_WAIT socket behind: the namespace has
            // sockets but no process once the script exits.
            TestNamespace.Run("ip", $"netns exec {name} python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1', 7070)); s.listen(); c=socket.create_connection(('127.0.0.1', 7070)); a,_=s.accept(); c.close(); a.close(); s.close()\"");
            string pin = $"/run/netns/{name}";
            ulong inode = ulong.Parse(TestNamespace.Run("stat", $"-L -c %i {pin}").Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Empty(TestNamespace.Run("ip", $"netns pids {name}").Trim());

            var viaSetns = Connections("--collector.netns.read", "netlink", "--netns", inode.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var ss = SsRow.ReadPinned(pin, "ipv4").Concat(SsRow.ReadPinned(pin, "ipv6")).ToList();
            Assert.Contains(ss, r => r.State == "TIME_WAIT" && (r.LocalPort == 7070 || r.RemotePort == 7070));
            AssertEqualsSs(viaSetns, ss, "pinned namespace via setns");

            // Through procfs there is no process to read it by: nothing shown, one warning that says why.
            var result = ExporterProcess.Run(null, ["connections", "--output", "json", "--netns", inode.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.Equal(0, result.ExitCode);
            Assert.Empty(ParseRows(result.Stdout));
            Assert.Contains($"network namespace {inode}", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("--collector.netns.read=netlink", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            TestNamespace.Ip($"netns del {name}", check: false);
        }
    }

    [RootFact]
    public void Namespaces_whose_processes_exit_during_scrapes_are_clean_misses()
    {
        using var host = new TestNamespace("cxh");
        using var exporter = new RunningExporter(host, 9831, "--no-collector.ebpf");
        using var churn = new CancellationTokenSource();
        // Short-lived namespaces, each with a listener whose only process exits 0–50 ms later.
        int churned = 0;
        var churner = Task.Run(() =>
        {
            while (!churn.IsCancellationRequested)
            {
                var psi = new ProcessStartInfo("unshare", ["--net", "python3", "-c",
                    $"import socket,time; s=socket.socket(); s.bind(('0.0.0.0', 6000)); s.listen(); time.sleep({Random.Shared.Next(0, 50) / 1000.0})"]);
                using var p = Process.Start(psi)!;
                p.WaitForExit();
                Interlocked.Increment(ref churned);
            }
        });
        var failures = new List<string>();
        var deadline = Stopwatch.StartNew();
        for (int i = 0; i < 20 || (Volatile.Read(ref churned) < 20 && deadline.Elapsed < TimeSpan.FromSeconds(60)); i++)
        {
            var body = exporter.Curl("/metrics");
            foreach (var collector in new[] { "inventory", "netns", "listeners" })
                if (!body.Contains($"conn_exporter_collector_success{{collector=\"{collector}\"}} 1", StringComparison.Ordinal))
                    failures.Add($"scrape {i}: {collector} failed");
            if (!body.Contains("conn_exporter_netns_read_failures_total{reason=\"error\"} 0", StringComparison.Ordinal))
                failures.Add($"scrape {i}: a namespace read failed with an error");
        }
        churn.Cancel();
        churner.Wait();
        Assert.True(churned >= 20, $"only {churned} namespaces came and went");
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + exporter.Stderr);
    }

    [RootFact]
    public void An_excluded_namespace_is_not_read_and_the_others_still_are()
    {
        using var pods = new PodPair();
        using var host = new TestNamespace("cxe");
        using var exporter = new RunningExporter(host, 9832, "--no-collector.ebpf", $"--collector.netns.exclude=^{pods.A.Name}$");
        var body = exporter.Curl("/metrics");
        var listeners = body.Split('\n').Where(l => l.StartsWith("conn_listeners_info{", StringComparison.Ordinal)).ToList();
        // B (not excluded) listens on 9090; A (excluded by its ip netns name) on 8080.
        Assert.Contains(listeners, l => l.Contains($"netns=\"{pods.B.Name}\"", StringComparison.Ordinal) && l.Contains("port=\"9090\"", StringComparison.Ordinal));
        Assert.DoesNotContain(listeners, l => l.Contains($"netns=\"{pods.A.Name}\"", StringComparison.Ordinal));
        Assert.DoesNotContain(listeners, l => l.Contains("port=\"8080\"", StringComparison.Ordinal) && !l.Contains("netns=", StringComparison.Ordinal) && !l.Contains("container=", StringComparison.Ordinal));
    }

    [RootFact]
    public void A_bad_exclude_expression_fails_at_start_with_one_line()
    {
        var result = ExporterProcess.Run(null, ["--collector.netns.exclude=cx(", "--web.listen-address=127.0.0.1:0"]);
        Assert.Equal(2, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("--collector.netns.exclude", lines[0], StringComparison.Ordinal);
    }
}
