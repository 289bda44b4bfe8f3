using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Deployment;

/// <summary>
/// Every metric the alerts, recording rules and dashboard select is one the README documents
/// and the real exporter serves: a renamed metric breaks this test, not a silent alert.
/// </summary>
public sealed class MetricReferenceTests
{
    /// <summary>Series Prometheus makes itself, not the exporter.</summary>
    private static readonly HashSet<string> PrometheusOwn = new(StringComparer.Ordinal) { "up" };

    private static readonly string[] HistogramSuffixes = ["_bucket", "_sum", "_count"];

    public static TheoryData<string> Sources => new() { "alerts.yml", "recording.yml", "conn-exporter.json" };

    private static List<string> Expressions(string source) => source.EndsWith(".json", StringComparison.Ordinal)
        ? RuleExpressions.DashboardQueries()
        : RuleExpressions.Rules(source).Select(r => r.Expr).ToList();

    /// <summary>Names the source selects that the exporter must serve (recorded names excluded).</summary>
    private static HashSet<string> ReferencedMetrics(string source)
    {
        var recorded = RuleExpressions.Rules("recording.yml").Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var names = Expressions(source).SelectMany(DeploymentFiles.MetricNamesInPromQL)
            .Where(n => !PrometheusOwn.Contains(n) && !recorded.Contains(n))
            .ToHashSet(StringComparer.Ordinal);
        // An extraction that finds nothing would let every check below pass.
        Assert.True(names.Count >= 3, $"{source}: only {names.Count} metric names found: {string.Join(", ", names)}");
        return names;
    }

    /// <summary>A histogram's _bucket/_sum/_count series belong to its family name.</summary>
    private static string Family(string name, IReadOnlyDictionary<string, string>? types = null)
    {
        foreach (var suffix in HistogramSuffixes)
        {
            if (!name.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var family = name[..^suffix.Length];
            if (types is null || (types.TryGetValue(family, out var t) && t is "histogram" or "summary")) return family;
        }
        return name;
    }

    [Fact]
    public void The_PromQL_name_extraction_finds_metrics_and_only_metrics()
    {
        var names = DeploymentFiles.MetricNamesInPromQL(
            "sum by (instance, le) (rate(conn_tcp_connect_duration_seconds_bucket{instance=~\"$instance\",result!=\"x\"}[5m])) " +
            "/ on (instance) group_left (unit) (conn_tcp_listen_backlog > 0.8) and up == 0").ToList();
        Assert.Equal(["conn_tcp_connect_duration_seconds_bucket", "conn_tcp_listen_backlog", "up"], names);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Every_referenced_metric_is_in_the_README_metric_table(string source)
    {
        var documented = DeploymentFiles.ReadmeMetricNames();
        Assert.Contains("conn_tcp_connects_total", documented);
        var missing = ReferencedMetrics(source).Where(n => !documented.Contains(Family(n))).ToList();
        Assert.True(missing.Count == 0, $"{source} uses metrics the README does not list: {string.Join(", ", missing)}");
    }

    [RootTheory]
    [MemberData(nameof(Sources))]
    public void Every_referenced_metric_is_served_by_a_real_exporter(string source)
    {
        var families = RealScrape.Families;
        var missing = ReferencedMetrics(source).Where(n => !families.ContainsKey(Family(n, families))).ToList();
        Assert.True(missing.Count == 0,
            $"{source} uses metrics a real scrape lacks: {string.Join(", ", missing)}\nscraped: {string.Join(", ", families.Keys)}");
    }

    /// <summary>
    /// One scrape of the real exporter (every collector on, as root, in a fresh network
    /// namespace), shared by the theory's rows. Families are read from # TYPE lines, which the
    /// exporter writes for every enabled collector's families even before they have a series.
    /// </summary>
    private static class RealScrape
    {
        private static readonly Lazy<Dictionary<string, string>> Scraped = new(() =>
        {
            using var ns = new TestNamespace("cxd");
            using var exporter = new RunningExporter(ns, 9811, "--collector.connections");
            // Traffic for the eBPF counters: a refused connect and the scrapes themselves.
            ns.ExecArgs("curl", ["-s", "--max-time", "2", "http://127.0.0.1:1/"], check: false);
            exporter.Curl("/metrics");
            var text = exporter.Curl("/metrics");
            var families = DeploymentFiles.ScrapedFamilies(text);
            Assert.True(families.ContainsKey("conn_sockets"), "scrape without conn_sockets:\n" + text);
            return families;
        });

        public static Dictionary<string, string> Families => Scraped.Value;
    }
}
