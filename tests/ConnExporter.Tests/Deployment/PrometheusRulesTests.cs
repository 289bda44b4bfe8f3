using ConnExporter.Tests.EndToEnd;
using YamlDotNet.RepresentationModel;

namespace ConnExporter.Tests.Deployment;

/// <summary>
/// deploy/prometheus: promtool (Debian's prometheus package, scripts/prereqs.d/10-base.sh)
/// checks the rule files and runs their unit tests (alerts_test.yml: each alert fires on one
/// series and stays quiet on another).
/// </summary>
public sealed class PrometheusRulesTests
{
    [Theory]
    [InlineData("alerts.yml")]
    [InlineData("recording.yml")]
    public void Promtool_accepts_the_rule_file(string file)
    {
        var r = HostCommand.Run("promtool", ["check", "rules", DeploymentFiles.Path("prometheus", file)]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("SUCCESS", r.Stdout + r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Promtool_rule_unit_tests_pass()
    {
        var r = HostCommand.Run("promtool", ["test", "rules", DeploymentFiles.Path("prometheus", "alerts_test.yml")]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("SUCCESS", r.Stdout + r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_has_a_unit_test_that_expects_it_to_fire()
    {
        var alerts = RuleExpressions.Rules("alerts.yml").Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var fired = new HashSet<string>(StringComparer.Ordinal);
        var doc = DeploymentFiles.YamlDocuments("prometheus", "alerts_test.yml")[0];
        foreach (var test in doc.Items("tests"))
            foreach (var t in test.Items("alert_rule_test"))
                if (t.Items("exp_alerts").Count > 0) fired.Add(t.Scalar("alertname")!);
        Assert.True(alerts.Count >= 6, "alerts.yml lost its alerts: " + string.Join(", ", alerts));
        Assert.Empty(alerts.Except(fired));
    }

    [Fact]
    public void A_broken_rule_unit_test_fails_in_promtool()
    {
        // The check above can fail: the same tests against an alert that never fires do.
        var dir = Directory.CreateTempSubdirectory("conn-exporter-rules-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "alerts.yml"),
                DeploymentFiles.Read("prometheus", "alerts.yml").Replace("> 0.8", "> 1.8", StringComparison.Ordinal));
            File.Copy(DeploymentFiles.Path("prometheus", "recording.yml"), Path.Combine(dir, "recording.yml"));
            File.Copy(DeploymentFiles.Path("prometheus", "alerts_test.yml"), Path.Combine(dir, "alerts_test.yml"));
            var r = HostCommand.Run("promtool", ["test", "rules", Path.Combine(dir, "alerts_test.yml")]);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("ConnTcpListenQueueSaturated", r.Stdout + r.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>The expressions of the rule files and of the Grafana dashboard.</summary>
public static class RuleExpressions
{
    public sealed record Rule(string Name, string Expr);

    public static List<Rule> Rules(string file)
    {
        var rules = new List<Rule>();
        foreach (var group in DeploymentFiles.YamlDocuments("prometheus", file)[0].Items("groups"))
            foreach (var rule in group.Items("rules"))
                rules.Add(new Rule(rule.Scalar("alert") ?? rule.Scalar("record")!, rule.Scalar("expr")!));
        return rules;
    }

    /// <summary>Every "expr" of the dashboard's panels and every query of its variables.</summary>
    public static List<string> DashboardQueries()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(DeploymentFiles.Read("grafana", "conn-exporter.json"));
        var queries = new List<string>();
        Walk(doc.RootElement, queries);
        return queries;
    }

    private static void Walk(System.Text.Json.JsonElement e, List<string> queries)
    {
        switch (e.ValueKind)
        {
            case System.Text.Json.JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Value.ValueKind == System.Text.Json.JsonValueKind.String && p.Name is "expr" or "definition")
                        queries.Add(LabelValues(p.Value.GetString()!));
                    else Walk(p.Value, queries);
                }
                break;
            case System.Text.Json.JsonValueKind.Array:
                foreach (var i in e.EnumerateArray()) Walk(i, queries);
                break;
        }
    }

    /// <summary>label_values(metric, label) → metric (Grafana's variable query, not PromQL).</summary>
    private static string LabelValues(string q) =>
        q.StartsWith("label_values(", StringComparison.Ordinal) ? q["label_values(".Length..q.IndexOf(',', StringComparison.Ordinal)] : q;
}
