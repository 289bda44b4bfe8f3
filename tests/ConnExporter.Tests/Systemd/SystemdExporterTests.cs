using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ConnExporter.Systemd;
using ConnExporter.Tests.Infrastructure;
using ConnExporter.Tests.Web.Security;

namespace ConnExporter.Tests.Systemd;

/// <summary>
/// The real exporter talking to a service manager played by the test (a datagram socket at
/// <c>$NOTIFY_SOCKET</c>) and to the host's <c>systemd-socket-activate</c>.
/// </summary>
[Collection(HostProcessesCollection.Name)]
public sealed class SystemdExporterTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Event = TimeSpan.FromSeconds(15);

    private static async Task<string> Get(int port, string path)
    {
        using var http = new HttpClient { Timeout = Start };
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task ReadyAfterMetricsServeThenReloadsAndStopsOnSignals()
    {
        using var manager = new NotifyReceiver();
        int port = SupervisedExporter.FreePort();
        using var exporter = SupervisedExporter.Direct(
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = manager.NotifySocketPath, ["WATCHDOG_USEC"] = "1000000" },
            $"--web.listen-address=127.0.0.1:{port}");

        Assert.Equal("READY=1", manager.NextEvent(Start));
        // READY=1 promises a working endpoint: it must answer now, without retries.
        Assert.Contains("conn_sockets{", await Get(port, "/metrics"), StringComparison.Ordinal);
        Assert.Equal("ready\n", await Get(port, "/-/ready"));
        Assert.Matches(@"^STATUS=\d+ sockets via (netlink|procfs) in \d+ ms; last scrape (never|\d+s ago)$",
            manager.NextEvent(Event, includeStatus: true));

        ulong before = MonotonicClock.NowMicroseconds();
        exporter.Signal("HUP");
        var reloading = manager.NextEvent(Event).Split('\n');
        Assert.Equal("RELOADING=1", reloading[0]);
        ulong usec = ulong.Parse(reloading[1]["MONOTONIC_USEC=".Length..], CultureInfo.InvariantCulture);
        Assert.InRange(usec, before, MonotonicClock.NowMicroseconds());
        Assert.Equal("READY=1", manager.NextEvent(Event));
        Assert.False(exporter.HasExited, "SIGHUP must reload, not terminate");
        Assert.Contains("conn_sockets{", await Get(port, "/metrics"), StringComparison.Ordinal);

        exporter.Signal("TERM");
        Assert.Equal("STOPPING=1", manager.NextEvent(Event));
        Assert.Equal(0, exporter.WaitForExit(Event));
        Assert.True(manager.WatchdogPings > 0, "WATCHDOG_USEC was set but no WATCHDOG=1 arrived");
        Assert.Contains("msg=reloaded", exporter.Stderr, StringComparison.Ordinal);
        Assert.Contains("msg=stopped", exporter.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServesTheNamedSocketSystemdPasses()
    {
        using var manager = new NotifyReceiver(abstractName: true);
        int port = SupervisedExporter.FreePort();
        using var exporter = SupervisedExporter.SocketActivated(port, "metrics",
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = manager.NotifySocketPath },
            "--web.systemd-socket", "--web.listen-address=127.0.0.1:1");
        exporter.WaitForStderr($"Listening on 127.0.0.1:{port}", Start);

        // The first connection starts the exporter, which answers it on the passed socket.
        Assert.Contains("conn_sockets{", await Get(port, "/metrics"), StringComparison.Ordinal);
        Assert.Equal("READY=1", manager.NextEvent(Event));
        Assert.Contains("listening on systemd sockets fd 3 (metrics)", exporter.Stderr, StringComparison.Ordinal);
        Assert.Contains("--web.listen-address and PORT are not used", exporter.Stderr, StringComparison.Ordinal);

        exporter.Signal("TERM");
        Assert.Equal("STOPPING=1", manager.NextEvent(Event));
        Assert.Equal(0, exporter.WaitForExit(Event));
    }

    [Fact]
    public void AnHttpsSocketWithoutTlsFailsWithOneLine()
    {
        int port = SupervisedExporter.FreePort();
        using var exporter = SupervisedExporter.SocketActivated(port, "https", new Dictionary<string, string>());
        exporter.WaitForStderr($"Listening on 127.0.0.1:{port}", Start);
        using (var client = new TcpClient())
            client.Connect(IPAddress.Loopback, port);

        Assert.Equal(2, exporter.WaitForExit(Start));
        var ours = exporter.Stderr.Split('\n').Where(l => l.StartsWith("conn-exporter:", StringComparison.Ordinal)).ToList();
        Assert.Equal("conn-exporter: error: systemd passed socket fd 3 (https) for HTTPS, but no --web.config.file enables TLS; add tls_server_config to the web config or rename the socket",
            Assert.Single(ours));
    }

    [Fact]
    public void AnHttpsSocketServesTlsFromTheWebConfig()
    {
        using var pki = new TestPki();
        var config = pki.Write("web.yml", "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n");
        int port = SupervisedExporter.FreePort();
        using var exporter = SupervisedExporter.SocketActivated(port, "https", new Dictionary<string, string>(),
            $"--web.config.file={config}");
        exporter.WaitForStderr($"Listening on 127.0.0.1:{port}", Start);

        // The first connection starts the exporter on the passed fd; curl waits in the queue.
        var https = Curl.Get($"https://localhost:{port}/metrics", "--cacert", pki.Path("ca.pem"), "--max-time", "60");
        Assert.Equal(200, https.Status);
        Assert.Contains("conn_sockets{", https.Body, StringComparison.Ordinal);
        Assert.Contains("web: TLS on", exporter.Stderr, StringComparison.Ordinal);

        // A socket named https never answers plain HTTP.
        var plain = Curl.Get($"http://localhost:{port}/metrics");
        Assert.NotEqual(200, plain.Status);
        Assert.False(exporter.HasExited);
    }

    [Fact]
    public void SystemdSocketFlagWithoutSocketsFails()
    {
        var result = ExporterProcess.Run(null, "--web.systemd-socket");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("conn-exporter: error: --web.systemd-socket: systemd passed no sockets (LISTEN_FDS is not set); start it from a .socket unit or drop the flag",
            result.Stderr.Trim());
    }

    [Fact]
    public void SocketsMeantForAnotherProcessAreNotOurs()
    {
        using var exporter = SupervisedExporter.Direct(
            new Dictionary<string, string> { ["LISTEN_PID"] = "1", ["LISTEN_FDS"] = "1", ["LISTEN_FDNAMES"] = "metrics" },
            "--web.systemd-socket");
        Assert.Equal(2, exporter.WaitForExit(Start));
        Assert.Contains("LISTEN_FDS is for process 1, not this one", exporter.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void LogsInTheJournalsFormWhenStderrIsTheStreamJournalStreamNames()
    {
        // journald is not running here: a file stands in for its stream socket, named the same way.
        var log = Path.GetTempFileName();
        try
        {
            ulong device, inode;
            using (var handle = File.OpenHandle(log, FileMode.Open))
                Assert.True(JournalStream.TryIdentify((int)handle.DangerousGetHandle(), out device, out inode));
            int port = SupervisedExporter.FreePort();
            using var exporter = new SupervisedExporter("sh",
                ["-c", "exec \"$0\" \"$1\" \"$2\" 2>>\"$3\"", ExporterProcess.Dotnet, ExporterProcess.Dll, $"--web.listen-address=127.0.0.1:{port}", log],
                new Dictionary<string, string> { ["JOURNAL_STREAM"] = $"{device}:{inode}" });
            var deadline = DateTime.UtcNow + Start;
            while (!File.ReadAllText(log).Contains("first collection", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline && !exporter.HasExited, "no first collection logged: " + File.ReadAllText(log));
                Thread.Sleep(50);
            }
            exporter.Signal("TERM");
            Assert.Equal(0, exporter.WaitForExit(Event));
            var lines = File.ReadAllLines(log);
            Assert.Contains(lines, l => l.StartsWith("<6>level=info source=exporter msg=\"listening on 127.0.0.1:", StringComparison.Ordinal));
            Assert.All(lines, l => Assert.Matches(@"^<[2-7]>level=", l));
        }
        finally
        {
            File.Delete(log);
        }
    }
}
