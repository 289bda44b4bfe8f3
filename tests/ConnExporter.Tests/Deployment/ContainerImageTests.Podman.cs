using System.Diagnostics;
using System.Text.Json.Nodes;
using ConnExporter.Tests.EndToEnd;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Deployment;

/// <summary>
/// The eBPF collector in the image under exactly CAP_BPF + CAP_PERFMON, run by podman (Debian's
/// 4.3, which knows both capabilities; the image is copied from the Docker Engine that built it).
/// podman applies containers-common's default seccomp profile, which, like CRI-O's and older
/// Docker and containerd profiles, allows bpf(2) only with CAP_SYS_ADMIN: under it the collector
/// must fail with a reason that names the filter and the fix; under docs/kubernetes.md's recipe
/// for a profile that allows bpf with CAP_BPF (perf_event_open stays denied: the program attaches
/// with the bpf system call alone) it must attach and count connects.
/// </summary>
public sealed partial class ContainerImageTests
{
    /// <summary>docs/kubernetes.md's jq filter: bpf allowed with CAP_BPF, nothing else changed.</summary>
    private const string AllowBpfFilter =
        """.syscalls |= (map(.names -= ["bpf"]) | map(select(.names | length > 0))) | .syscalls += [{"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "args": [], "includes": {"caps": ["CAP_BPF"]}, "excludes": {}}]""";

    private const string RuntimeDefaultProfile = "/usr/share/containers/seccomp.json";

    private static readonly string[] EbpfCaps = ["--user", "0", "--cap-drop", "ALL", "--cap-add", "BPF", "--cap-add", "PERFMON"];

    [RootFact]
    public void Under_the_runtimes_default_seccomp_profile_eBPF_fails_naming_the_filter()
    {
        using var container = new PodmanContainer(EbpfCaps);
        var samples = container.Scrape();
        Assert.Contains(samples, s => s.Name == "conn_exporter_collector_success" && s["collector"] == "ebpf" && s.Value == 0);
        Assert.Contains(samples, s => s.Name == "conn_exporter_collector_success" && s["collector"] == "inventory" && s.Value == 1);
        var logs = container.Logs();
        Assert.Contains("a seccomp filter is on and most likely refused the bpf system call", logs, StringComparison.Ordinal);
    }

    [RootFact]
    public void With_a_profile_that_allows_bpf_for_CAP_BPF_it_counts_connects_with_exactly_CAP_BPF_and_CAP_PERFMON()
    {
        string profile = Path.Combine(Path.GetTempPath(), $"conn-exporter-seccomp-{Guid.NewGuid():N}.json");
        var jq = HostCommand.Run("jq", [AllowBpfFilter, RuntimeDefaultProfile]);
        Assert.True(jq.ExitCode == 0, jq.ToString());
        File.WriteAllText(profile, jq.Stdout);
        try
        {
            // The recipe changes bpf alone: perf_event_open is still denied without CAP_SYS_ADMIN.
            var rules = JsonNode.Parse(jq.Stdout)!["syscalls"]!.AsArray();
            var bpf = Assert.Single(rules, r => r!["names"]!.AsArray().Any(n => (string?)n == "bpf"));
            Assert.Equal("CAP_BPF", (string?)bpf!["includes"]!["caps"]![0]);
            Assert.Contains(rules, r => r!["names"]!.AsArray().Any(n => (string?)n == "perf_event_open")
                && (string?)r["action"] == "SCMP_ACT_ERRNO");

            using var container = new PodmanContainer(["--security-opt", $"seccomp={profile}", .. EbpfCaps]);
            // A refused connect on the host (host network; the program sees every namespace).
            var refused = HostCommand.Run("curl", ["-s", "--max-time", "5", $"http://127.0.0.1:{ContainerImage.FreePort()}/"]);
            Assert.NotEqual(0, refused.ExitCode);

            List<ScrapedSample> samples = [];
            for (var deadline = Stopwatch.StartNew(); deadline.Elapsed < TimeSpan.FromSeconds(10); Thread.Sleep(200))
            {
                samples = container.Scrape();
                if (samples.Any(s => s.Name == "conn_tcp_connects_total" && s["process"] == "curl" && s["result"] == "refused" && s.Value >= 1)) break;
            }
            Assert.Contains(samples, s => s.Name == "conn_exporter_collector_success" && s["collector"] == "ebpf" && s.Value == 1);
            Assert.Contains(samples, s => s.Name == "conn_exporter_ebpf_attached" && s.Value == 1);
            Assert.True(samples.Any(s => s.Name == "conn_tcp_connects_total" && s["process"] == "curl" && s["result"] == "refused" && s.Value >= 1),
                "no refused connect of curl counted: " + container.Logs());
        }
        finally
        {
            File.Delete(profile);
        }
    }

    /// <summary>
    /// The tests' image under podman in the host's network and pid namespaces, read-only, on a
    /// free port. No systemd runs here, so podman manages cgroups itself and keeps no healthcheck
    /// timer; root's open-file and process limits here cannot be raised (no CAP_SYS_RESOURCE), so
    /// the container gets lower ones than podman's defaults.
    /// </summary>
    private sealed class PodmanContainer : HostNetworkContainer
    {
        public PodmanContainer(string[] podmanArgs)
        {
            var copy = Podman("pull", "-q", "docker-daemon:" + ContainerImage.Tag);
            if (copy.ExitCode != 0) throw new InvalidOperationException("podman cannot copy the image from Docker: " + copy);
            var run = Podman(["run", "-d", "--name", Name, "--no-healthcheck", "--ulimit", "nofile=16384:16384", "--ulimit", "nproc=4096:4096",
                "--network", "host", "--pid", "host", "--read-only", "--tmpfs", "/tmp", "-e", $"PORT={Port}",
                .. podmanArgs, ContainerImage.Tag]);
            if (run.ExitCode != 0) throw new InvalidOperationException("podman run failed: " + run);
            WaitUntilReady();
        }

        private static HostCommand.Result Podman(params string[] args) =>
            HostCommand.Run("podman", ["--cgroup-manager", "cgroupfs", "--events-backend", "file", .. args], TimeSpan.FromMinutes(3));

        protected override bool IsRunning() => Podman("inspect", "-f", "{{.State.Running}}", Name).Stdout.Trim() == "true";

        public override string Logs()
        {
            var r = Podman("logs", Name);
            return r.Stdout + r.Stderr;
        }

        public override void Dispose() => Podman("rm", "-f", Name);
    }
}
