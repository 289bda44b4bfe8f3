using System.Diagnostics;
using ConnExporter.Tests.Infrastructure;
using static ConnExporter.Tests.Integration.NetworkNamespaceTests;

namespace ConnExporter.Tests.Integration;

/// <summary>
/// Container identity of other namespaces' sockets: a pod laid out as the kubelet and containerd
/// lay one out on a node (its processes in <c>kubepods.slice/…/cri-containerd-&lt;id&gt;.scope</c>
/// cgroups, the kubelet's pod log directories under a node root given with --path.rootfs), and the
/// procfs reading path with nothing but the capabilities the shipped unit grants.
/// </summary>
public sealed class ContainerAttributionTests
{
    /// <summary>A pod: a sandbox ("pause") process and an app container sharing one namespace.</summary>
    private sealed class KubePod : IDisposable
    {
        private const string CgroupRoot = "/sys/fs/cgroup/unified";
        public readonly TestNamespace Ns = new("cxk8s");
        public readonly string Uid = Guid.NewGuid().ToString();
        public readonly string AppId = RandomId();
        public readonly string SandboxId = RandomId();
        public readonly string Rootfs = Directory.CreateTempSubdirectory("cx-node-").FullName;
        public readonly int AppPid;
        public readonly int SandboxPid;
        private readonly List<string> _cgroups = [];

        public KubePod(string pod, string podNamespace, string container)
        {
            string podSlice = $"kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{Uid.Replace('-', '_')}.slice";
            // The sandbox starts first (lower pid), as the pause container does.
            SandboxPid = Ns.Start("sleep", ["600"]).Id;
            MoveTo($"{podSlice}/cri-containerd-{SandboxId}.scope", SandboxPid);
            AppPid = StartWorkload(Ns, ["--listen", "8080", "--loop", "8080"]);
            MoveTo($"{podSlice}/cri-containerd-{AppId}.scope", AppPid);
            // What the kubelet writes: a directory per pod, a link per container (only the app's:
            // the sandbox has no log).
            Directory.CreateDirectory(Path.Combine(Rootfs, "var/log/pods", $"{podNamespace}_{pod}_{Uid}", container));
            Directory.CreateDirectory(Path.Combine(Rootfs, "var/log/containers"));
            File.CreateSymbolicLink(Path.Combine(Rootfs, "var/log/containers", $"{pod}_{podNamespace}_{container}-{AppId}.log"),
                $"/var/log/pods/{podNamespace}_{pod}_{Uid}/{container}/0.log");
        }

        private void MoveTo(string path, int pid)
        {
            var full = Path.Combine(CgroupRoot, path);
            Directory.CreateDirectory(full);
            _cgroups.Add(full);
            File.WriteAllText(Path.Combine(full, "cgroup.procs"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        private static string RandomId() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

        public void Dispose()
        {
            Ns.Dispose();
            // Innermost first; a cgroup can be removed once its processes are gone.
            foreach (var dir in _cgroups.Concat(_cgroups.Select(c => Path.GetDirectoryName(c)!)).Distinct().OrderByDescending(d => d.Length))
            {
                for (int i = 0; i < 50 && Directory.Exists(dir); i++)
                {
                    try { Directory.Delete(dir); }
                    catch (IOException) { Thread.Sleep(100); }
                }
            }
            Directory.Delete(Rootfs, recursive: true);
        }
    }

    [RootFact]
    public void A_pods_sockets_carry_its_namespace_pod_and_container_names_from_the_kubelets_files()
    {
        using var pod = new KubePod("web-0", "shop", "app");
        ulong inode = NetnsOf(pod.AppPid);
        Assert.Equal(inode, NetnsOf(pod.SandboxPid));

        var rows = Connections("--path.rootfs", pod.Rootfs).Where(r => r.Netns == inode).ToList();
        AssertEqualsSs(rows, SsInside(pod.AppPid), "pod namespace");
        var listener = rows.Single(r => r.Key.EndsWith("LISTEN", StringComparison.Ordinal));
        Assert.Equal((pod.AppId, "app", "web-0", "shop"), (listener.Container, listener.ContainerName, listener.Pod, listener.PodNamespace));
        // Every socket of the namespace is the pod's, owned or not.
        Assert.All(rows, r => Assert.Equal(("web-0", "shop"), (r.Pod, r.PodNamespace)));

        // --netns by container name or id prefix picks the same namespace.
        Assert.Equal(rows.Select(r => r.Key).Order(), Connections("--path.rootfs", pod.Rootfs, "--netns", "app").Select(r => r.Key).Order());
        Assert.Equal(rows.Select(r => r.Key).Order(), Connections("--path.rootfs", pod.Rootfs, "--netns", pod.AppId[..12]).Select(r => r.Key).Order());

        // Without the kubelet's files the id is all there is: the short id is the label.
        Assert.All(Connections().Where(r => r.Netns == inode), r => Assert.Null(r.ContainerName));

        using var host = new TestNamespace("cxkh");
        using var exporter = new RunningExporter(host, 9832, "--no-collector.ebpf", "--path.rootfs", pod.Rootfs);
        var samples = exporter.Scrape();
        var labels = new Dictionary<string, string> { ["container"] = "app", ["pod"] = "web-0", ["namespace"] = "shop" };
        bool Pod(ScrapedSample s) => labels.All(kv => s.Labels.GetValueOrDefault(kv.Key) == kv.Value);
        Assert.Contains(samples, s => s.Name == "conn_listeners_info" && Pod(s) && s.Labels["port"] == "8080" && s.Labels["process"] == "python3");
        Assert.Contains(samples, s => s.Name == "conn_container_sockets" && Pod(s) && s.Labels["state"] == "LISTEN" && s.Value == 1);
        Assert.Contains(samples, s => s.Name == "conn_process_sockets" && Pod(s) && s.Labels["state"] == "ESTABLISHED" && s.Value == 2);
        Assert.Contains(samples, s => s.Name == "conn_peers" && Pod(s) && s.Labels["direction"] == "incoming" && s.Labels["port"] == "8080");
        // The host's own series carry no container label at all.
        Assert.All(samples.Where(s => s.Name == "conn_sockets"), s => Assert.False(s.Labels.ContainsKey("container")));
        var promtool = new ProcessStartInfo("promtool", "check metrics") { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        using (var p = Process.Start(promtool)!)
        {
            p.StandardInput.Write(exporter.Curl("/metrics"));
            p.StandardInput.Close();
            var problems = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, "promtool: " + problems);
        }
    }

    [RootFact]
    public void The_procfs_path_reads_every_namespace_with_only_the_units_capabilities()
    {
        using var pods = new PodPair();
        ulong a = NetnsOf(pods.PidA), b = NetnsOf(pods.PidB);
        // What conn-exporter.service grants (DynamicUser, CAP_DAC_READ_SEARCH CAP_SYS_PTRACE and
        // nothing else: no CAP_SYS_ADMIN, so no setns), as another user than the workloads'.
        const string Caps = "+dac_read_search,+sys_ptrace";
        var psi = new ProcessStartInfo("setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", $"--inh-caps=-all,{Caps}",
                     $"--ambient-caps=-all,{Caps}", $"--bounding-set=-all,{Caps}", "--",
                     ExporterProcess.Dotnet, ExporterProcess.Dll, "connections", "--output", "json", "--collector.netns.read", "netlink"])
            psi.ArgumentList.Add(arg);
        psi.Environment["HOME"] = "/tmp";
        psi.Environment["DOTNET_CLI_HOME"] = "/tmp";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000));
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {stderr}");
        // Asked for netlink without CAP_SYS_ADMIN: one warning, then procfs reads them all.
        Assert.Contains("setns(CLONE_NEWNET) refused (EPERM)", stderr, StringComparison.Ordinal);
        var rows = ParseRows(stdout.Result);
        AssertEqualsSs(rows.Where(r => r.Netns == a), SsInside(pods.PidA), "namespace A, unit's capabilities");
        AssertEqualsSs(rows.Where(r => r.Netns == b), SsInside(pods.PidB), "namespace B, unit's capabilities");
    }
}
