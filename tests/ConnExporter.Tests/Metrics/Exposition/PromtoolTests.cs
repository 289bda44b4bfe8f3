using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Tests.Metrics.Exposition;

/// <summary>
/// <c>promtool check metrics</c> parses text 0.0.4 with Prometheus' own parser and lints it
/// (help text, _total on counters, units). promtool ships in Debian's <c>prometheus</c> package.
/// </summary>
public sealed class PromtoolTests
{
    private const string Missing = "promtool is not on PATH: install Debian's 'prometheus' package (apt-get install -y prometheus).";

    [Fact]
    public void SampleExposition_PassesCheckMetrics()
    {
        string text = ExpositionText.Write(ExpositionFormat.PrometheusText004, ExpositionText.WriteSample);
        var result = ExternalTool.Run("promtool", ["check", "metrics"], text) ?? throw new InvalidOperationException(Missing);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.StandardOutput + result.StandardError);
    }

    [Fact]
    public void BrokenExposition_FailsCheckMetrics()
    {
        // Proves the check above can fail: a counter without _total is a lint error.
        string text = ExpositionText.Write(ExpositionFormat.PrometheusText004, w =>
        {
            w.BeginFamily("conn_sample_retransmits", "No _total.", MetricType.Counter);
            w.Sample("conn_sample_retransmits", 1);
        });
        var result = ExternalTool.Run("promtool", ["check", "metrics"], text) ?? throw new InvalidOperationException(Missing);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("_total", result.StandardOutput + result.StandardError, StringComparison.Ordinal);
    }
}
