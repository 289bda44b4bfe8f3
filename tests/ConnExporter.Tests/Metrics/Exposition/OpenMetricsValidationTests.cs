using System.Text.Json;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Tests.Metrics.Exposition;

/// <summary>
/// The OpenMetrics output through a strict parser: python's prometheus_client (Debian
/// <c>python3-prometheus-client</c>) when a python3 has it, else <see cref="OpenMetricsStrictChecker"/>.
/// </summary>
public sealed class OpenMetricsValidationTests
{
    // Parses stdin as OpenMetrics and prints every sample as JSON, values in Go float syntax.
    private const string ParserScript = """
        import json, sys
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
        from prometheus_client.utils import floatToGoString
        families = list(text_string_to_metric_families(sys.stdin.read()))
        print(json.dumps([{"family": f.name, "type": f.type, "samples": [
            {"name": s.name, "labels": s.labels, "value": floatToGoString(s.value)} for s in f.samples]}
            for f in families]))
        """;

    [Fact]
    public void SampleExposition_PassesStrictParser()
    {
        string text = ExpositionText.Write(ExpositionFormat.OpenMetrics100, ExpositionText.WriteSample);
        string? python = FindPythonWithPrometheusClient();
        if (python is null)
        {
            var problems = OpenMetricsStrictChecker.Check(text);
            Assert.True(problems.Count == 0, string.Join('\n', problems));
            return;
        }

        var result = ExternalTool.Run(python, ["-c", ParserScript], text)!;
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        var families = json.RootElement.EnumerateArray().ToDictionary(
            f => f.GetProperty("family").GetString()!, f => f);

        Assert.Equal(["conn_sample_info", "conn_sample_ratio", "conn_sample_retransmits", "conn_sample_rtt_seconds", "conn_sample_sockets"],
            families.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("counter", families["conn_sample_retransmits"].GetProperty("type").GetString());
        Assert.Equal("histogram", families["conn_sample_rtt_seconds"].GetProperty("type").GetString());
        Assert.Equal("unknown", families["conn_sample_info"].GetProperty("type").GetString());

        var sockets = families["conn_sample_sockets"].GetProperty("samples").EnumerateArray().ToList();
        Assert.Equal("ng\uFFFDx\u00E9\uFFFD", sockets[0].GetProperty("labels").GetProperty("process").GetString());
        Assert.Equal("a\"b\\c\nd", sockets[1].GetProperty("labels").GetProperty("state").GetString());

        var retransmits = families["conn_sample_retransmits"].GetProperty("samples").EnumerateArray().ToList();
        Assert.Equal("conn_sample_retransmits_total", retransmits[0].GetProperty("name").GetString());

        var buckets = families["conn_sample_rtt_seconds"].GetProperty("samples").EnumerateArray()
            .Where(s => s.GetProperty("name").GetString() == "conn_sample_rtt_seconds_bucket")
            .Select(s => s.GetProperty("labels").GetProperty("le").GetString())
            .Take(7);
        Assert.Equal(["0.0001", "0.005", "1.0", "10.0", "100000.0", "1e+06", "+Inf"], buckets);
    }

    [Fact]
    public void StrictChecker_AcceptsSampleExposition()
    {
        string text = ExpositionText.Write(ExpositionFormat.OpenMetrics100, ExpositionText.WriteSample);
        var problems = OpenMetricsStrictChecker.Check(text);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [InlineData("# TYPE a gauge\na 1\n", "does not end with # EOF")]
    [InlineData("# TYPE a gauge\n# EOF\na 1\n", "not the last line")]
    [InlineData("# TYPE a counter\na 1\n# EOF\n", "not allowed in counter")]
    [InlineData("# TYPE a_total counter\na_total 1\n# EOF\n", "not allowed in counter")]
    [InlineData("a 1\n# EOF\n", "outside a TYPEd family")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\n# EOF\n", "not canonical")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"2.0\"} 0\nh_bucket{le=\"1.0\"} 0\nh_bucket{le=\"+Inf\"} 0\n# EOF\n", "ascending")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1.0\"} 0\n# EOF\n", "do not end with +Inf")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n# EOF\n", "differs from the +Inf bucket")]
    [InlineData("# TYPE a gauge\na{x=\"\\t\"} 1\n# EOF\n", "bad escape")]
    [InlineData("# TYPE a gauge\n# HELP a say \"hi\"\na 1\n# EOF\n", "unescaped double quote")]
    [InlineData("# TYPE a gauge\na 1.0.0\n# EOF\n", "bad value")]
    public void StrictChecker_RejectsInvalid(string text, string problem)
    {
        var problems = OpenMetricsStrictChecker.Check(text);
        Assert.Contains(problems, p => p.Contains(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void PythonParser_RejectsInvalid_WhenAvailable()
    {
        // Shows the python path can fail; without python the checker's own tests above stand in.
        string? python = FindPythonWithPrometheusClient();
        string text = "# TYPE a gauge\na 1\n"; // no # EOF
        if (python is null)
        {
            Assert.NotEmpty(OpenMetricsStrictChecker.Check(text));
            return;
        }
        var result = ExternalTool.Run(python, ["-c", ParserScript], text)!;
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("EOF", result.StandardError, StringComparison.Ordinal);
    }

    private static string? FindPythonWithPrometheusClient()
    {
        foreach (var candidate in (string[])["python3", "/usr/bin/python3"])
        {
            var probe = ExternalTool.Run(candidate, ["-c", "import prometheus_client.openmetrics.parser"], "");
            if (probe is { ExitCode: 0 })
                return candidate;
        }
        return null;
    }
}
