using System.Text.Json;
using System.Text.RegularExpressions;
using ConnExporter.Tests.EndToEnd;
using ConnExporter.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace ConnExporter.Tests.Deployment;

/// <summary>
/// The Helm chart (deploy/helm/conn-exporter) and the plain manifests (deploy/kubernetes).
/// Checked statically here (values parse, every value the templates read exists, every flag
/// they pass is one the exporter's --help lists, capabilities are docs/deployment.md's, the
/// plain manifest matches values.yaml and the real exporter runs with its args) and rendered by
/// the real helm in KubernetesDeploymentTests.Helm.cs. No Kubernetes API server can be had on the
/// project's machines, so nothing is applied to a cluster.
/// </summary>
public sealed partial class KubernetesDeploymentTests
{
    private static readonly string[] ChartCollectors = ["sockets", "interfaces", "listeners", "processes", "peers", "tcpinfo", "netns", "connections", "conntrack"];

    private static string Chart(params string[] parts) => DeploymentFiles.Path(["helm", "conn-exporter", .. parts]);

    private static YamlMappingNode Values() => DeploymentFiles.YamlDocuments("helm", "conn-exporter", "values.yaml")[0];

    private static string Templates() => string.Join("\n",
        Directory.GetFiles(Chart("templates")).Order(StringComparer.Ordinal).Select(File.ReadAllText));

    private static YamlMappingNode ManifestObject(string kind) =>
        DeploymentFiles.YamlDocuments("kubernetes", "daemonset.yaml").Single(d => d.Scalar("kind") == kind);

    private static YamlNode Container() => ManifestObject("DaemonSet").Items("spec", "template", "spec", "containers").Single();

    /// <summary>Flag names (without "--" and "[no-]") of the exporter's --help, from the real build.</summary>
    private static HashSet<string> HelpFlags()
    {
        var r = ExporterProcess.Run(null, "--help");
        Assert.Equal(0, r.ExitCode);
        var flags = HelpFlag().Matches(r.Stdout + r.Stderr).Select(m => m.Groups[2].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("collector.ebpf", flags);
        return flags;
    }

    /// <summary>Negatable flags: "--[no-]x" in the help.</summary>
    private static HashSet<string> NegatableFlags()
    {
        var r = ExporterProcess.Run(null, "--help");
        return HelpFlag().Matches(r.Stdout + r.Stderr).Where(m => m.Groups[1].Success)
            .Select(m => m.Groups[2].Value).ToHashSet(StringComparer.Ordinal);
    }

    private static string FlagName(string arg)
    {
        var name = arg.TrimStart('-');
        var eq = name.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? name : name[..eq];
    }

    [Fact]
    public void Chart_metadata_and_values_parse_and_match_the_exporter_version()
    {
        var chart = DeploymentFiles.YamlDocuments("helm", "conn-exporter", "Chart.yaml")[0];
        Assert.Equal("v2", chart.Scalar("apiVersion"));
        Assert.Equal("conn-exporter", chart.Scalar("name"));
        var csproj = File.ReadAllText(Path.Combine(E2eEnvironment.RepoRoot, "src", "ConnExporter", "ConnExporter.csproj"));
        var version = Regex.Match(csproj, "<Version>([^<]+)</Version>").Groups[1].Value;
        Assert.Equal(version, chart.Scalar("appVersion"));
        var values = Values();
        Assert.Equal("9811", values.Scalar("service", "port"));
        Assert.Equal("true", values.Scalar("ebpf", "enabled"));
        Assert.Equal("true", values.Scalar("owners", "enabled"));
    }

    [Fact]
    public void Every_value_the_templates_read_exists_in_values_yaml()
    {
        var values = Values();
        var paths = ValuesPath().Matches(Templates()).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(paths.Count >= 20, "few .Values references found: " + string.Join(", ", paths));
        var missing = paths.Where(p => values.At(p.Split('.')) is null).ToList();
        Assert.True(missing.Count == 0, "templates read values that values.yaml lacks: " + string.Join(", ", missing));
    }

    [Fact]
    public void Templates_open_and_close_their_blocks()
    {
        foreach (var file in Directory.GetFiles(Chart("templates")))
        {
            var text = File.ReadAllText(file);
            Assert.Equal(Regex.Count(text, @"\{\{"), Regex.Count(text, @"\}\}"));
            var opened = Regex.Count(text, @"\{\{-?\s*(if|range|with|define)\b");
            var closed = Regex.Count(text, @"\{\{-?\s*end\s*-?\}\}");
            Assert.True(opened == closed, $"{Path.GetFileName(file)}: {opened} blocks opened, {closed} closed");
        }
    }

    [Fact]
    public void Every_flag_the_chart_passes_is_in_the_exporters_help()
    {
        var help = HelpFlags();
        var daemonset = File.ReadAllText(Chart("templates", "daemonset.yaml"));
        var flags = ChartFlag().Matches(daemonset).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("no-collector.ebpf", flags);
        Assert.Contains("web.config.file", flags);
        var unknown = flags.Select(f => f.StartsWith("no-", StringComparison.Ordinal) ? f[3..] : f).Where(f => !help.Contains(f)).ToList();
        Assert.True(unknown.Count == 0, "the chart passes flags the exporter does not have: " + string.Join(", ", unknown));
        // "--{{ if not ... }}no-{{ end }}collector.{{ $name }}" for each of these names.
        Assert.Contains("list \"" + string.Join("\" \"", ChartCollectors) + "\"", daemonset, StringComparison.Ordinal);
        var negatable = NegatableFlags();
        Assert.DoesNotContain(ChartCollectors, c => !negatable.Contains("collector." + c));
        // Every collector of the exporter is a value (ebpf has its own section).
        var collectors = Values().At("collectors") as YamlMappingNode;
        Assert.NotNull(collectors);
        var valueNames = collectors.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Append("ebpf").ToHashSet(StringComparer.Ordinal);
        var exporterCollectors = negatable.Where(f => f.StartsWith("collector.", StringComparison.Ordinal) && f.IndexOf('.', 10) < 0)
            .Select(f => f["collector.".Length..]).Where(c => c != "disable-defaults").ToHashSet(StringComparer.Ordinal);
        Assert.Equal(exporterCollectors.Order(), valueNames.Order());
    }

    [Fact]
    public void Capabilities_are_the_ones_docs_deployment_md_names()
    {
        var deployment = File.ReadAllText(Path.Combine(E2eEnvironment.RepoRoot, "docs", "deployment.md"));
        var section = deployment[deployment.IndexOf("## Capabilities per collector", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n\n", section.IndexOf("| ebpf", StringComparison.Ordinal), StringComparison.Ordinal)];
        var documented = Regex.Matches(section, @"CAP_([A-Z_]+)").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(["BPF", "DAC_READ_SEARCH", "NET_ADMIN", "PERFMON", "SYS_ADMIN", "SYS_PTRACE"], documented.Order());

        var helpers = File.ReadAllText(Chart("templates", "_helpers.tpl"));
        var chart = Regex.Matches(helpers, "\"(DAC_READ_SEARCH|SYS_PTRACE|BPF|PERFMON|[A-Z_]{3,})\"").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(documented.Order(), chart.Order());
        // Owners bring DAC_READ_SEARCH and SYS_PTRACE, eBPF brings BPF and PERFMON.
        Assert.Matches(@"owners\.enabled \}\}\{\{ \$caps = concat \$caps \(list ""DAC_READ_SEARCH"" ""SYS_PTRACE""\)", helpers);
        Assert.Matches(@"ebpf\.enabled \}\}\{\{ \$caps = concat \$caps \(list ""BPF"" ""PERFMON""\)", helpers);
        // SYS_ADMIN only when the netns collector is told to enter namespaces (netns.read=netlink).
        Assert.Matches(@"\(eq \.Values\.netns\.read ""netlink""\) \}\}\{\{ \$caps = append \$caps ""SYS_ADMIN""", helpers);

        // NET_ADMIN only with the conntrack collector (off by default).
        Assert.Matches(@"collectors\.conntrack \}\}\{\{ \$caps = append \$caps ""NET_ADMIN""", helpers);

        var security = Container().At("securityContext")!;
        Assert.Equal(["ALL"], security.Items("capabilities", "drop").Select(n => n.ToString()));
        Assert.Equal(documented.Where(c => c is not ("SYS_ADMIN" or "NET_ADMIN")).Order(), security.Items("capabilities", "add").Select(n => n.ToString()).Order());
    }

    [Fact]
    public void Nothing_mounts_tracefs_or_runs_privileged()
    {
        foreach (var text in new[] { Templates(), DeploymentFiles.Read("kubernetes", "daemonset.yaml"), DeploymentFiles.Read("docker", "Dockerfile") })
        {
            Assert.DoesNotContain("/sys/kernel/tracing", text, StringComparison.Ordinal);
            Assert.DoesNotContain("/sys/kernel/debug", text, StringComparison.Ordinal);
            Assert.DoesNotContain("privileged: true", text, StringComparison.Ordinal);
        }
        // CAP_SYS_ADMIN is never granted by default: only netns.read=netlink asks for it.
        Assert.DoesNotContain("SYS_ADMIN", Canonical(Container().At("securityContext")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_plain_manifest_has_the_host_namespaces_probes_and_a_hardened_container()
    {
        var pod = ManifestObject("DaemonSet").At("spec", "template", "spec")!;
        Assert.Equal("true", pod.Scalar("hostNetwork"));
        Assert.Equal("true", pod.Scalar("hostPID"));
        Assert.Equal("ClusterFirstWithHostNet", pod.Scalar("dnsPolicy"));
        Assert.Equal("0", pod.Scalar("securityContext", "runAsUser"));
        var c = Container();
        var port = c.Items("ports").Single();
        Assert.Equal("metrics", port.Scalar("name"));
        Assert.Equal("9811", port.Scalar("containerPort"));
        Assert.Equal("/-/healthy", c.Scalar("livenessProbe", "httpGet", "path"));
        Assert.Equal("/-/ready", c.Scalar("readinessProbe", "httpGet", "path"));
        Assert.Equal("metrics", c.Scalar("livenessProbe", "httpGet", "port"));
        Assert.Equal("true", c.Scalar("securityContext", "readOnlyRootFilesystem"));
        Assert.Equal("false", c.Scalar("securityContext", "allowPrivilegeEscalation"));
        Assert.Contains(c.Items("volumeMounts"), m => m.Scalar("mountPath") == "/tmp");

        var service = ManifestObject("Service");
        Assert.Equal("None", service.Scalar("spec", "clusterIP"));
        Assert.Equal("metrics", service.Items("spec", "ports").Single().Scalar("name"));
        Assert.Equal("metrics", service.Items("spec", "ports").Single().Scalar("targetPort"));
        Assert.Equal(
            ManifestObject("DaemonSet").At("spec", "selector", "matchLabels")!.ToString(),
            service.At("spec", "selector")!.ToString());
    }

    /// <summary>The args daemonset.yaml renders from values (the template's logic, in C#).</summary>
    private static List<string> ArgsFromValues(YamlNode v)
    {
        var args = new List<string> { $"--web.listen-address=:{v.Scalar("service", "port")}" };
        foreach (var c in ChartCollectors)
            if (v.At("collectors", c) is YamlScalarNode on)
                args.Add(on.Value == "true" ? $"--collector.{c}" : $"--no-collector.{c}");
        if (v.Scalar("ebpf", "enabled") == "true")
        {
            args.Add("--collector.ebpf");
            args.Add($"--collector.ebpf.max-series={v.Scalar("ebpf", "maxSeries")}");
            if (v.Scalar("ebpf", "perPid") == "true") args.Add("--collector.ebpf.per-pid");
        }
        else args.Add("--no-collector.ebpf");
        foreach (var m in new[] { "processes", "peers", "tcpinfo", "connections" })
            args.Add($"--collector.{m}.max-series={v.Scalar("maxSeries", m)}");
        if (v.Scalar("collectors", "netns") == "true")
        {
            args.Add($"--collector.netns.read={v.Scalar("netns", "read")}");
            args.Add($"--collector.netns.max-series={v.Scalar("netns", "maxSeries")}");
            args.Add("--path.rootfs=/host");
        }
        args.AddRange(v.Items("peerNetworks").Select(n => $"--collector.peers.networks={n}"));
        if (v.Scalar("connectionsIncludeTimeWait") == "true") args.Add("--collector.connections.include-time-wait");
        if (v.Scalar("disableExporterMetrics") == "true") args.Add("--web.disable-exporter-metrics");
        if (v.Scalar("disableUi") == "true") args.Add("--web.disable-ui");
        if (v.Scalar("webConfig", "enabled") == "true") args.Add("--web.config.file=/etc/conn-exporter/web-config.yml");
        args.Add($"--log.level={v.Scalar("log", "level")}");
        args.Add($"--log.format={v.Scalar("log", "format")}");
        args.AddRange(v.Items("extraArgs").Select(n => n.ToString()));
        return args;
    }

    [Fact]
    public void The_plain_manifest_is_the_charts_default_rendering()
    {
        var values = Values();
        var c = Container();
        Assert.Equal(ArgsFromValues(values), c.Items("args").Select(n => n.ToString()));
        Assert.Equal($"{values.Scalar("image", "repository")}:{DeploymentFiles.YamlDocuments("helm", "conn-exporter", "Chart.yaml")[0].Scalar("appVersion")}",
            c.Scalar("image"));
        var pod = ManifestObject("DaemonSet").At("spec", "template", "spec")!;
        Assert.Equal(Canonical(values.At("resources")), Canonical(c.At("resources")));
        Assert.Equal(Canonical(values.At("tolerations")), Canonical(pod.At("tolerations")));
        Assert.Equal(Canonical(values.At("nodeSelector")), Canonical(pod.At("nodeSelector")));
        Assert.Equal(Canonical(values.At("seccompProfile")), Canonical(pod.At("securityContext", "seccompProfile")));
        Assert.Equal(Canonical(values.At("updateStrategy")), Canonical(ManifestObject("DaemonSet").At("spec", "updateStrategy")));
        foreach (var probe in new[] { "livenessProbe", "readinessProbe" })
            foreach (var (key, value) in ((YamlMappingNode)values.At(probe)!).Children)
                Assert.Equal(value.ToString(), c.Scalar(probe, key.ToString()));
        Assert.Equal(values.Scalar("terminationGracePeriodSeconds"), pod.Scalar("terminationGracePeriodSeconds"));
        Assert.Equal(values.Scalar("serviceAccount", "automountServiceAccountToken"), pod.Scalar("automountServiceAccountToken"));
    }

    [Fact]
    public void The_plain_manifests_flags_are_in_the_exporters_help()
    {
        var help = HelpFlags();
        var unknown = Container().Items("args").Select(a => FlagName(a.ToString()))
            .Select(f => f.StartsWith("no-", StringComparison.Ordinal) ? f[3..] : f)
            .Where(f => !help.Contains(f)).ToList();
        Assert.Empty(unknown);
    }

    [RootFact]
    public void The_real_exporter_starts_with_the_plain_manifests_args()
    {
        // The manifest's own listen address is replaced by a loopback one in a fresh namespace;
        // every other argument is passed as it is, so a flag or value the exporter refuses
        // fails here (exit code 2 before it listens).
        AssertTheExporterRunsWith(Container().Items("args").Select(a => a.ToString()));
    }

    /// <summary>
    /// Runs the real exporter with a manifest's args (its listen address replaced by a loopback
    /// one, in a fresh namespace): it must start, serve its probes and metrics, and enable
    /// exactly the collectors the args turn on and off.
    /// </summary>
    private static void AssertTheExporterRunsWith(IEnumerable<string> manifestArgs)
    {
        // Outside a pod there is no /host (the host paths' mount point): the node's root is /.
        var args = manifestArgs.Where(a => !a.StartsWith("--web.listen-address=", StringComparison.Ordinal))
            .Select(a => a == "--path.rootfs=/host" ? "--path.rootfs=/" : a).ToArray();
        using var ns = new TestNamespace("cxk");
        using var exporter = new RunningExporter(ns, 9811, args);
        using var health = JsonDocument.Parse(exporter.Curl("/health"));
        var collectors = health.RootElement.GetProperty("collectors");
        foreach (var arg in args.Where(a => CollectorToggle().IsMatch(a)))
        {
            var m = CollectorToggle().Match(arg);
            var name = m.Groups[2].Value;
            var enabled = !m.Groups[1].Success;
            // /health lists the enabled collectors.
            var listed = collectors.TryGetProperty(name, out var state) && state.GetProperty("enabled").GetBoolean();
            Assert.True(enabled == listed, $"{arg}: /health says {health.RootElement}");
        }
        Assert.Equal(200, int.Parse(exporter.Curl("/-/healthy", true, "-o", "/dev/null", "-w", "%{http_code}"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(200, int.Parse(exporter.Curl("/-/ready", true, "-o", "/dev/null", "-w", "%{http_code}"), System.Globalization.CultureInfo.InvariantCulture));
        var samples = ScrapedSample.Parse(exporter.Curl("/metrics"));
        Assert.Contains(samples, s => s.Name == "conn_exporter_collector_success" && s["collector"] == "inventory" && s.Value == 1);
        Assert.Equal(args.Contains("--collector.connections"), samples.Any(s => s.Name == "network_connections_info"));
    }

    /// <summary>A node as text with mapping keys sorted; keys in <paramref name="skip"/> left out at any depth.</summary>
    private static string Canonical(YamlNode? node, IReadOnlySet<string>? skip = null) => node switch
    {
        null => "<missing>",
        YamlScalarNode s => s.Value ?? "",
        YamlSequenceNode q => "[" + string.Join(",", q.Children.Select(c => Canonical(c, skip))) + "]",
        YamlMappingNode m => "{" + string.Join(",", m.Children
            .Where(k => skip is null || !skip.Contains(k.Key.ToString()))
            .OrderBy(k => k.Key.ToString(), StringComparer.Ordinal)
            .Select(k => k.Key + ":" + Canonical(k.Value, skip))) + "}",
        _ => node.ToString(),
    };

    [GeneratedRegex(@"--(\[no-\])?([a-z][a-z0-9.\-]*[a-z0-9])")]
    private static partial Regex HelpFlag();

    [GeneratedRegex(@"\.Values\.([A-Za-z0-9_.]+)")]
    private static partial Regex ValuesPath();

    [GeneratedRegex(@"- --([a-z][a-z0-9.\-]*[a-z0-9])")]
    private static partial Regex ChartFlag();

    [GeneratedRegex(@"^--(no-)?collector\.([a-z]+)$")]
    private static partial Regex CollectorToggle();
}
