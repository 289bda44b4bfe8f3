using ConnExporter.Tests.Infrastructure;
using ConnExporter.Tests.Metrics.Exposition;
using YamlDotNet.RepresentationModel;

namespace ConnExporter.Tests.Deployment;

/// <summary>
/// The chart rendered and linted by the real helm (scripts/prereqs.d/75-helm.sh installs it):
/// the default rendering is the plain manifest, every variant of the values renders objects
/// whose flags the exporter knows and whose capabilities follow the collectors, and the
/// optional objects (web config Secret, ServiceMonitor, PodMonitor) point where the DaemonSet
/// listens.
/// </summary>
public sealed partial class KubernetesDeploymentTests
{
    private const string HelmMissing = "helm is not on PATH: scripts/prereqs.d/75-helm.sh installs it (run scripts/test.sh as root)";
    private const string Release = "conn-exporter";
    private const string ReleaseNamespace = "monitoring";

    /// <summary>Labels only Helm adds; the plain manifest, applied with kubectl, has no use for them.</summary>
    private static readonly HashSet<string> HelmOnlyLabels = ["helm.sh/chart", "app.kubernetes.io/managed-by"];

    /// <summary>Values that switch on every optional part of the chart at once.</summary>
    private static readonly string[] EverythingOn =
    [
        "--set", "serviceMonitor.enabled=true", "--set", "podMonitor.enabled=true",
        "--set", "webConfig.enabled=true", "--set", "webConfig.tls=true", "--set", "webConfig.basicAuth=true",
        "--set-json", """webConfig.config={"tls_server_config":{"cert_file":"/etc/conn-exporter/tls.crt","key_file":"/etc/conn-exporter/tls.key"},"basic_auth_users":{"prometheus":"$2y$10$abcdefghijklmnopqrstuu5Eq0yDjD2B8V9n0m4dYjKx6k1rXoQ2e"}}""",
        "--set", "collectors.connections=true", "--set", "ebpf.perPid=true", "--set", "disableExporterMetrics=true", "--set", "disableUi=true",
        "--set", "netns.exclude=^kube-system/",
        "--set-json", """peerNetworks=["office=10.0.0.0/8","ula=fd00::/8"]""", "--set-json", """extraArgs=["--collector.connections.include-time-wait"]""",
    ];

    /// <summary>Variants of the values and the capabilities the container must get with them.</summary>
    public static TheoryData<string, string[], string[]> ChartVariants => new()
    {
        { "defaults", [], ["DAC_READ_SEARCH", "SYS_PTRACE", "BPF", "PERFMON"] },
        { "no eBPF", ["--set", "ebpf.enabled=false"], ["DAC_READ_SEARCH", "SYS_PTRACE"] },
        // The netns collector finds namespaces through /proc/<pid>/ns/net links: ptrace access.
        { "no owners", ["--set", "owners.enabled=false"], ["SYS_PTRACE", "BPF", "PERFMON"] },
        { "neither", ["--set", "ebpf.enabled=false", "--set", "owners.enabled=false"], ["SYS_PTRACE"] },
        { "no owners, no netns", ["--set", "ebpf.enabled=false", "--set", "owners.enabled=false", "--set", "collectors.netns=false"], [] },
        { "netns through netlink", ["--set", "netns.read=netlink"], ["DAC_READ_SEARCH", "SYS_PTRACE", "SYS_ADMIN", "BPF", "PERFMON"] },
        { "everything on", EverythingOn, ["DAC_READ_SEARCH", "SYS_PTRACE", "BPF", "PERFMON"] },
    };

    [Fact]
    public void Helm_lints_the_chart_strictly_with_defaults_and_with_everything_on()
    {
        foreach (var values in new[] { Array.Empty<string>(), EverythingOn })
        {
            var lint = Helm(["lint", "--strict", Chart(), .. values]);
            Assert.True(lint.ExitCode == 0, lint.ToString());
            Assert.Contains("0 chart(s) failed", lint.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Helm_refuses_values_the_chart_cannot_render()
    {
        // Proves the rendering tests can fail: a value of the wrong shape is an error, not a guess.
        var result = Helm(["template", Release, Chart(), "--set-json", "extraArgs=\"--x\""]);
        Assert.NotEqual(0, result.ExitCode);

        // A peer network without its name would render, then stop the exporter at start: the
        // chart refuses it with the fix instead.
        var unnamed = Helm(["template", Release, Chart(), "--set-json", """peerNetworks=["10.0.0.0/8"]"""]);
        Assert.NotEqual(0, unnamed.ExitCode);
        Assert.Contains("peerNetworks: \"10.0.0.0/8\" is not name=address/prefix (e.g. office=10.0.0.0/8)", unnamed.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void The_plain_manifest_is_what_helm_renders_by_default()
    {
        var rendered = Render();
        var plain = DeploymentFiles.YamlDocuments("kubernetes", "daemonset.yaml");
        Assert.Equal(plain.Select(Identity).Order(StringComparer.Ordinal), rendered.Select(Identity).Order(StringComparer.Ordinal));
        foreach (var expected in plain)
        {
            var actual = rendered.Single(d => Identity(d) == Identity(expected));
            Assert.Equal(Canonical(expected), Canonical(actual, HelmOnlyLabels));
        }
    }

    [Theory]
    [MemberData(nameof(ChartVariants))]
    public void Every_variant_renders_known_flags_and_the_capabilities_its_collectors_need(string variant, string[] values, string[] capabilities)
    {
        var objects = Render(values);
        var container = Single(objects, "DaemonSet").Items("spec", "template", "spec", "containers").Single();
        var args = container.Items("args").Select(a => a.ToString()).ToList();

        var help = HelpFlags();
        var unknown = args.Select(a => FlagName(a)).Select(f => f.StartsWith("no-", StringComparison.Ordinal) ? f[3..] : f)
            .Where(f => !help.Contains(f)).ToList();
        Assert.True(unknown.Count == 0, $"{variant}: flags the exporter does not know: {string.Join(", ", unknown)}");

        Assert.Equal(capabilities, container.Items("securityContext", "capabilities", "add").Select(c => c.ToString()));
        Assert.Equal(["ALL"], container.Items("securityContext", "capabilities", "drop").Select(c => c.ToString()));
        Assert.Equal("false", container.Scalar("securityContext", "privileged"));
        Assert.Equal("false", container.Scalar("securityContext", "allowPrivilegeEscalation"));
        Assert.Equal(capabilities.Contains("BPF"), args.Contains("--collector.ebpf"));
        Assert.Equal(!capabilities.Contains("BPF"), args.Contains("--no-collector.ebpf"));

        // Every object is well formed and carries the chart's identity.
        foreach (var o in objects)
        {
            Assert.False(string.IsNullOrEmpty(o.Scalar("apiVersion")), $"{variant}: {Identity(o)} has no apiVersion");
            Assert.Equal("conn-exporter", o.Scalar("metadata", "labels", "app.kubernetes.io/name"));
            Assert.Equal(Release, o.Scalar("metadata", "labels", "app.kubernetes.io/instance"));
        }
    }

    [Fact]
    public void The_web_config_secret_is_mounted_where_the_flag_points_and_rolls_the_pods_when_it_changes()
    {
        var objects = Render(EverythingOn);
        var secret = Single(objects, "Secret");
        var pod = Single(objects, "DaemonSet").At("spec", "template")!;
        var container = pod.Items("spec", "containers").Single();

        // The config in the Secret is the one in the values, as YAML the exporter reads.
        var config = new YamlStream();
        config.Load(new StringReader(secret.Scalar("stringData", "web-config.yml")!));
        var webConfig = (YamlMappingNode)config.Documents[0].RootNode;
        Assert.Equal("/etc/conn-exporter/tls.crt", webConfig.Scalar("tls_server_config", "cert_file"));
        Assert.StartsWith("$2y$10$", webConfig.Scalar("basic_auth_users", "prometheus"), StringComparison.Ordinal);

        // --web.config.file names a file of the Secret's volume.
        var flag = container.Items("args").Select(a => a.ToString()).Single(a => a.StartsWith("--web.config.file=", StringComparison.Ordinal));
        string file = flag["--web.config.file=".Length..];
        var mount = container.Items("volumeMounts").Single(m => file.StartsWith(m.Scalar("mountPath")! + "/", StringComparison.Ordinal));
        Assert.Equal("true", mount.Scalar("readOnly"));
        var volume = pod.Items("spec", "volumes").Single(v => v.Scalar("name") == mount.Scalar("name"));
        Assert.Equal(secret.Scalar("metadata", "name"), volume.Scalar("secret", "secretName"));
        Assert.Equal(Path.GetFileName(file), ((YamlMappingNode)secret.At("stringData")!).Children.Keys.Select(k => k.ToString()).Single(k => k == Path.GetFileName(file)));

        // Behind basic auth the probes cannot send credentials: they check the port instead.
        Assert.Equal("metrics", container.Scalar("livenessProbe", "tcpSocket", "port"));
        Assert.Null(container.At("livenessProbe", "httpGet"));

        // A changed config changes the pod template, so the DaemonSet rolls out the new one.
        string checksum = pod.Scalar("metadata", "annotations", "checksum/web-config")!;
        var changed = Render([.. EverythingOn, "--set", "webConfig.config.basic_auth_users.prometheus=other"]);
        Assert.NotEqual(checksum, Single(changed, "DaemonSet").Scalar("spec", "template", "metadata", "annotations", "checksum/web-config"));
    }

    [Fact]
    public void Service_and_pod_monitors_scrape_the_port_the_daemonset_listens_on()
    {
        var objects = Render(EverythingOn);
        var daemonSet = Single(objects, "DaemonSet");
        var podLabels = (YamlMappingNode)daemonSet.At("spec", "template", "metadata", "labels")!;
        var port = daemonSet.Items("spec", "template", "spec", "containers").Single().Items("ports").Single();
        Assert.Equal("metrics", port.Scalar("name"));

        var service = Single(objects, "Service");
        Assert.Equal(port.Scalar("containerPort"), service.Items("spec", "ports").Single().Scalar("port"));
        Assert.All(((YamlMappingNode)service.At("spec", "selector")!).Children,
            kv => Assert.Equal(kv.Value.ToString(), podLabels.Scalar(kv.Key.ToString())));

        foreach (var (kind, endpoints) in new[] { ("ServiceMonitor", "endpoints"), ("PodMonitor", "podMetricsEndpoints") })
        {
            var monitor = Single(objects, kind);
            Assert.Equal("monitoring.coreos.com/v1", monitor.Scalar("apiVersion"));
            var endpoint = monitor.Items("spec", endpoints).Single();
            Assert.Equal("metrics", endpoint.Scalar("port"));
            Assert.Equal("/metrics", endpoint.Scalar("path"));
            Assert.Equal("https", endpoint.Scalar("scheme")); // webConfig.tls
            var selector = (YamlMappingNode)monitor.At("spec", "selector", "matchLabels")!;
            var target = kind == "ServiceMonitor" ? (YamlMappingNode)service.At("metadata", "labels")! : podLabels;
            Assert.All(selector.Children, kv => Assert.Equal(kv.Value.ToString(), target.Scalar(kv.Key.ToString())));
        }
    }

    [RootFact]
    public void The_real_exporter_runs_with_the_args_helm_renders_with_everything_on()
    {
        // The web config is left out: its TLS files exist only in a cluster's Secret.
        var args = Single(Render(EverythingOn), "DaemonSet").Items("spec", "template", "spec", "containers").Single()
            .Items("args").Select(a => a.ToString())
            .Where(a => !a.StartsWith("--web.config.file=", StringComparison.Ordinal));
        AssertTheExporterRunsWith(args);
    }

    private static List<YamlMappingNode> Render(params string[] values)
    {
        var result = Helm(["template", Release, Chart(), "--namespace", ReleaseNamespace, .. values]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var stream = new YamlStream();
        stream.Load(new StringReader(result.StandardOutput));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    private static ExternalTool.Result Helm(string[] args) =>
        ExternalTool.Run("helm", args, "") ?? throw new InvalidOperationException(HelmMissing);

    private static string Identity(YamlMappingNode o) => $"{o.Scalar("kind")}/{o.Scalar("metadata", "name")}";

    private static YamlMappingNode Single(List<YamlMappingNode> objects, string kind) =>
        objects.Single(o => o.Scalar("kind") == kind);
}
