using System.Diagnostics;
using System.Text.Json;
using ConnExporter.Tests.EndToEnd;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Deployment;

/// <summary>
/// The image of deploy/docker/Dockerfile, built and run by a real Docker Engine the way the
/// DaemonSet runs it: host network and pid namespaces, read-only root, uid 0 with all
/// capabilities dropped but the owners' two. A listener of another user on the host is the
/// witness: its process name reaches the metrics only through the host pid namespace and the
/// two capabilities.
///
/// Debian 12's Docker Engine (20.10) refuses <c>--cap-add BPF</c>/<c>PERFMON</c> ("unknown
/// capability"), so these containers run with <c>--no-collector.ebpf</c>, as the chart does with
/// ebpf.enabled=false; the eBPF collector in the container, under exactly CAP_BPF + CAP_PERFMON,
/// runs in the same image under podman (ContainerImageTests.Podman.cs).
/// </summary>
public sealed partial class ContainerImageTests(ContainerImage image) : IClassFixture<ContainerImage>
{
    private static readonly string[] OwnerCaps = ["--cap-drop", "ALL", "--cap-add", "DAC_READ_SEARCH", "--cap-add", "SYS_PTRACE"];

    [RootFact]
    public void The_image_is_configured_as_documented()
    {
        Assert.NotEmpty(image.BuildLog);
        using var config = JsonDocument.Parse(ContainerImage.DockerCheck("image", "inspect", "--format", "{{json .Config}}", ContainerImage.Tag).Stdout);
        var c = config.RootElement;
        Assert.Equal("65532:65532", c.GetProperty("User").GetString());
        Assert.True(c.GetProperty("ExposedPorts").TryGetProperty("9811/tcp", out _), c.ToString());
        Assert.Equal(["/usr/bin/conn-exporter"], c.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("/-/healthy", c.GetProperty("Healthcheck").GetProperty("Test").ToString(), StringComparison.Ordinal);

        // Native AOT: one executable, no .NET runtime in the image; libbpf.so.1 for the eBPF collector.
        var r = ContainerImage.DockerCheck("run", "--rm", "--entrypoint", "bash", ContainerImage.Tag, "-c",
            "ls /usr/lib/conn-exporter; ldconfig -p | grep -c 'libbpf.so.1 '; test -e /usr/share/dotnet && echo has-dotnet; conn-exporter --version");
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("conn-exporter", lines[0]);
        Assert.Equal("1", lines[1]);
        Assert.DoesNotContain("has-dotnet", r.Stdout, StringComparison.Ordinal);
        Assert.StartsWith("conn-exporter, version ", lines[2], StringComparison.Ordinal);
    }

    [RootFact]
    public void In_host_namespaces_with_the_owner_capabilities_it_sees_other_users_processes()
    {
        using var listener = new ForeignListener();
        using var container = new RunningContainer(
            ["--user", "0", .. OwnerCaps], ["--no-collector.ebpf"]);
        var samples = container.Scrape();
        foreach (var collector in new[] { "inventory", "sockets", "interfaces", "listeners", "processes", "peers", "tcpinfo" })
            Assert.Contains(samples, s => s.Name == "conn_exporter_collector_success" && s["collector"] == collector && s.Value == 1);
        Assert.DoesNotContain(samples, s => s.Name == "conn_exporter_collector_success" && s["collector"] == "ebpf");
        // The host's socket (host network) with its owner from the host's /proc (host pid).
        var row = Assert.Single(samples, s => s.Name == "conn_listeners_info" && s["port"] == listener.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("python3", row["process"]);
        Assert.Equal("healthy", container.WaitForHealth());
    }

    [RootFact]
    public void As_its_default_unprivileged_user_it_runs_without_owners_or_eBPF()
    {
        using var listener = new ForeignListener();
        using var container = new RunningContainer(["--cap-drop", "ALL"], []);
        var samples = container.Scrape();
        Assert.Contains(samples, s => s.Name == "conn_exporter_collector_success" && s["collector"] == "inventory" && s.Value == 1);
        // Same socket, no owner: uid 65532 may not look into uid 65534's /proc/<pid>/fd.
        var row = Assert.Single(samples, s => s.Name == "conn_listeners_info" && s["port"] == listener.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("", row["process"]);
        // eBPF is on by default and cannot load without CAP_BPF: reported, not fatal.
        Assert.Contains(samples, s => s.Name == "conn_exporter_collector_success" && s["collector"] == "ebpf" && s.Value == 0);
        Assert.Equal("healthy", container.WaitForHealth());
    }

    /// <summary>A TCP listener on the host's loopback, held by python3 as the user nobody (65534); Debian's python3, which nobody may run (not a shim in /root).</summary>
    private sealed class ForeignListener : IDisposable
    {
        private readonly Process _process;

        public ForeignListener()
        {
            var psi = new ProcessStartInfo("setpriv")
            {
                RedirectStandardOutput = true,
                RedirectStandardInput = true,
            };
            foreach (var a in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                "import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(8)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()"])
                psi.ArgumentList.Add(a);
            _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start setpriv");
            Port = int.Parse(_process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("listener exited"),
                System.Globalization.CultureInfo.InvariantCulture);
        }

        public int Port { get; }

        public void Dispose() => ChildProcesses.StopAll([_process]);
    }

    /// <summary>
    /// The image running in the host's network and pid namespaces, read-only, on a free port,
    /// under some container engine: waits until it is ready and scrapes it from the host.
    /// </summary>
    private abstract class HostNetworkContainer : IDisposable
    {
        protected string Name { get; } = "conn-exporter-test-" + Guid.NewGuid().ToString("N")[..8];

        /// <summary>PORT: both the exporter (":$PORT" without --web.listen-address) and the image's HEALTHCHECK read it.</summary>
        protected int Port { get; } = ContainerImage.FreePort();

        protected abstract bool IsRunning();

        public abstract string Logs();

        public abstract void Dispose();

        protected void WaitUntilReady()
        {
            for (var deadline = Stopwatch.StartNew(); deadline.Elapsed < TimeSpan.FromSeconds(60); Thread.Sleep(250))
            {
                if (Curl("/-/ready").Status == 200) return;
                if (!IsRunning()) throw new InvalidOperationException("container exited: " + Logs());
            }
            throw new TimeoutException("container not ready in 60 s: " + Logs());
        }

        private (int Status, string Body) Curl(string path)
        {
            var r = HostCommand.Run("curl", ["-s", "--max-time", "10", "-w", "\n%{http_code}", $"http://127.0.0.1:{Port}{path}"]);
            // HostCommand ends every line with '\n'; the status code is the last line.
            var output = r.Stdout.TrimEnd('\n');
            var cut = output.LastIndexOf('\n');
            return cut < 0 ? (0, "") : (int.TryParse(output[(cut + 1)..], out var code) ? code : 0, output[..cut]);
        }

        public List<ScrapedSample> Scrape()
        {
            var (status, body) = Curl("/metrics");
            Assert.True(status == 200, $"/metrics answered {status}: {Logs()}");
            return ScrapedSample.Parse(body);
        }
    }

    /// <summary>The image under Docker.</summary>
    private sealed class RunningContainer : HostNetworkContainer
    {
        public RunningContainer(string[] dockerArgs, string[] exporterArgs)
        {
            // The image's health check runs every second here instead of 30.
            ContainerImage.DockerCheck(["run", "-d", "--name", Name, "--network", "host", "--pid", "host",
                "--read-only", "--tmpfs", "/tmp", "-e", $"PORT={Port}", "--health-interval", "1s",
                .. dockerArgs, ContainerImage.Tag, .. exporterArgs]);
            WaitUntilReady();
        }

        protected override bool IsRunning() => ContainerImage.Docker("inspect", "-f", "{{.State.Running}}", Name).Stdout.Trim() == "true";

        public override string Logs()
        {
            var r = ContainerImage.Docker("logs", Name);
            return r.Stdout + r.Stderr;
        }

        /// <summary>Docker's own verdict from the image's HEALTHCHECK (bash /dev/tcp → /-/healthy).</summary>
        public string WaitForHealth()
        {
            var deadline = Stopwatch.StartNew();
            var status = "";
            while (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                status = ContainerImage.Docker("inspect", "-f", "{{.State.Health.Status}}", Name).Stdout.Trim();
                if (status is "healthy" or "unhealthy") return status;
                Thread.Sleep(500);
            }
            return status + " " + ContainerImage.Docker("inspect", "-f", "{{json .State.Health}}", Name).Stdout;
        }

        public override void Dispose() => ContainerImage.Docker("rm", "-f", Name);
    }
}
