using ConnExporter.Tests.Infrastructure;
using ConnExporter.Tests.Metrics.Exposition;

namespace ConnExporter.Tests.Integration;

/// <summary>
/// One scrape that must have answered 200 with exposition Prometheus' own parser accepts
/// (<c>promtool check metrics</c>), for the fault tests: whatever breaks underneath, the
/// endpoint keeps answering with valid text.
/// </summary>
internal static class ValidScrape
{
    private const string StatusMarker = "\n--http-status:";

    public static List<ScrapedSample> Of(RunningExporter exporter)
    {
        var output = exporter.Curl("/metrics", check: false, "-w", StatusMarker + "%{http_code}");
        int marker = output.LastIndexOf(StatusMarker, StringComparison.Ordinal);
        Assert.True(marker >= 0, $"curl got no answer: '{output}'\nexporter stderr:\n{exporter.Stderr}");
        var status = output[(marker + StatusMarker.Length)..].Trim();
        var body = output[..marker];
        Assert.True(status == "200", $"scrape answered {status}: {body}\nexporter stderr:\n{exporter.Stderr}");
        var check = ExternalTool.Run("promtool", ["check", "metrics"], body)
            ?? throw new InvalidOperationException("promtool is not on PATH: install Debian's 'prometheus' package");
        Assert.True(check.ExitCode == 0, "promtool rejected the scrape: " + check);
        return ScrapedSample.Parse(body);
    }

    /// <summary>The value of <c>conn_exporter_collector_success{collector}</c>; fails when it is absent.</summary>
    public static double Success(IEnumerable<ScrapedSample> samples, string collector) =>
        samples.Single(s => s.Name == "conn_exporter_collector_success" && s["collector"] == collector).Value;
}
