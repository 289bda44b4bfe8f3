using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Integration;

/// <summary>A real Prometheus (Debian package) scrapes the exporter; PromQL sees the right count.</summary>
public sealed class PrometheusScrapeTests(ExporterFixture fixture) : IClassFixture<ExporterFixture>
{
    [RootFact]
    public void PromQlCountsListenersLikeSs()
    {
        var ns = fixture.Scenario.Ns;
        var dir = Directory.CreateTempSubdirectory("cx-prom-");
        Process? prometheus = null;
        try
        {
            var config = Path.Combine(dir.FullName, "prometheus.yml");
            File.WriteAllText(config, $"""
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: conn
                    static_configs:
                      - targets: ['127.0.0.1:{fixture.Exporter!.Port}']
                """);
            prometheus = ns.Start("prometheus",
            [
                $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(dir.FullName, "data")}",
                "--web.listen-address=127.0.0.1:19090",
            ]);
            prometheus.BeginErrorReadLine();
            prometheus.BeginOutputReadLine();

            const string query = "sum(conn_sockets{protocol=\"tcp\",state=\"LISTEN\"})";
            var clock = Stopwatch.StartNew();
            string last = "";
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                last = ns.ExecArgs("curl", ["-s", "--max-time", "5", "-G", "http://127.0.0.1:19090/api/v1/query", "--data-urlencode", $"query={query}"], check: false);
                if (last.Contains("\"result\":[{", StringComparison.Ordinal))
                {
                    // Read after the query: Prometheus' own listener exists by then, as in the scrape.
                    int expected = SsRow.Read(ns, "ipv4").Concat(SsRow.Read(ns, "ipv6"))
                        .Count(r => r.Protocol == "tcp" && r.State == "LISTEN");
                    using var doc = JsonDocument.Parse(last);
                    var value = doc.RootElement.GetProperty("data").GetProperty("result")[0].GetProperty("value")[1].GetString();
                    Assert.Equal(expected, (int)double.Parse(value!, CultureInfo.InvariantCulture));
                    var up = ns.ExecArgs("curl", ["-s", "-G", "http://127.0.0.1:19090/api/v1/query", "--data-urlencode", "query=up{job=\"conn\"}"]);
                    Assert.Contains("\"1\"]", up, StringComparison.Ordinal);
                    return;
                }
                Thread.Sleep(500);
            }
            Assert.Fail($"Prometheus never returned {query}: {last}");
        }
        finally
        {
            if (prometheus is { HasExited: false }) prometheus.Kill(entireProcessTree: true);
            prometheus?.WaitForExit(5000);
            dir.Delete(recursive: true);
        }
    }
}
