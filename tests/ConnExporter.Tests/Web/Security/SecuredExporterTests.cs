using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Web.Security;

/// <summary>The real binary with --web.config.file: start-up errors, and a real Prometheus
/// scraping it over TLS with a client certificate and basic auth.</summary>
public sealed class SecuredExporterTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public void BadConfigExitsTwoWithOneLine()
    {
        var config = _pki.Write("web.yml", "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  min_version: TLS9\n");
        var result = ExporterProcess.Run(null, "--web.listen-address=127.0.0.1:0", $"--web.config.file={config}");
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            l => l.StartsWith("conn-exporter: error:", StringComparison.Ordinal));
        Assert.Equal($"conn-exporter: error: web config {config}: line 4: unknown TLS version: TLS9", line);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);

        result = ExporterProcess.Run(null, "--web.listen-address=127.0.0.1:0", "--web.config.file=/nonexistent/web.yml");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("conn-exporter: error: web config /nonexistent/web.yml: no such file", result.Stderr, StringComparison.Ordinal);
    }

    [RootFact]
    public void BadConfigFailsBeforeEbpfIsLoaded()
    {
        // As root the eBPF collector would load (or say why not) at start: neither may happen
        // before the web config is refused.
        var config = _pki.Write("web-bad.yml", "basic_auth_users:\n  alice: not-a-hash\n");
        var result = ExporterProcess.Run(null, "--web.listen-address=127.0.0.1:0", "--log.level=debug", $"--web.config.file={config}");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"conn-exporter: error: web config {config}: line 2:", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("eBPF", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("eBPF", result.Stdout, StringComparison.Ordinal);
    }

    [RootFact]
    public void PrometheusScrapesOverMutualTlsWithBasicAuth()
    {
        using var ns = new TestNamespace("cxsec");
        const int port = 19443;
        var config = _pki.Write("web.yml", $"""
            tls_server_config:
              cert_file: server.pem
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.pem
            basic_auth_users:
              prometheus: {BcryptTests.PromPass}
            # Both jobs scrape from 127.0.0.1: with the throttle on, the wrong-password job would
            # get the address blocked and the good job with it (AuthThrottleExporterTests covers that).
            auth_throttle:
              failures: 0
            """);
        var exporter = ns.Start(ExporterProcess.Dotnet, [ExporterProcess.Dll, $"--web.listen-address=127.0.0.1:{port}", $"--web.config.file={config}"]);
        exporter.BeginErrorReadLine();
        exporter.BeginOutputReadLine();
        string[] tls = ["--cacert", _pki.Path("ca.pem"), "--cert", _pki.Path("client.pem"), "--key", _pki.Path("client.key")];
        string url = $"https://localhost:{port}/metrics";
        WaitFor(() => ns.ExecArgs("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", .. tls, url], check: false) == "401", "exporter to answer over TLS");
        Assert.Equal("200", ns.ExecArgs("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", .. tls, "-u", "prometheus:prom-pass", url], check: false));
        Assert.Equal("401", ns.ExecArgs("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", .. tls, "-u", "prometheus:nope", url], check: false));
        Assert.Equal("000", ns.ExecArgs("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", _pki.Path("ca.pem"), "-u", "prometheus:prom-pass", url], check: false));

        var promConfig = _pki.Write("prometheus.yml", $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: secured
                scheme: https
                tls_config:
                  ca_file: {_pki.Path("ca.pem")}
                  cert_file: {_pki.Path("client.pem")}
                  key_file: {_pki.Path("client.key")}
                  server_name: localhost
                basic_auth:
                  username: prometheus
                  password: prom-pass
                static_configs:
                  - targets: ['127.0.0.1:{port}']
              - job_name: wrong-password
                scheme: https
                tls_config:
                  ca_file: {_pki.Path("ca.pem")}
                  cert_file: {_pki.Path("client.pem")}
                  key_file: {_pki.Path("client.key")}
                  server_name: localhost
                basic_auth:
                  username: prometheus
                  password: guess
                static_configs:
                  - targets: ['127.0.0.1:{port}']
            """);
        var prometheus = ns.Start("prometheus",
        [
            $"--config.file={promConfig}", $"--storage.tsdb.path={_pki.Path("data")}", "--web.listen-address=127.0.0.1:19091",
        ]);
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();

        string Query(string q) => ns.ExecArgs("curl", ["-s", "--max-time", "5", "-G", "http://127.0.0.1:19091/api/v1/query", "--data-urlencode", $"query={q}"], check: false);
        string last = "";
        WaitFor(() =>
        {
            last = Query("up");
            return last.Contains("\"secured\"", StringComparison.Ordinal) && last.Contains("\"wrong-password\"", StringComparison.Ordinal)
                && Query("count(conn_sockets)").Contains("\"result\":[{", StringComparison.Ordinal);
        }, "Prometheus to scrape both jobs");
        using var doc = JsonDocument.Parse(Query("up"));
        var up = doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .ToDictionary(r => r.GetProperty("metric").GetProperty("job").GetString()!,
                r => double.Parse(r.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture));
        Assert.Equal(1, up["secured"]);
        Assert.Equal(0, up["wrong-password"]);
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (condition()) return;
            Thread.Sleep(300);
        }
        Assert.Fail($"timed out waiting for {what}");
    }
}
