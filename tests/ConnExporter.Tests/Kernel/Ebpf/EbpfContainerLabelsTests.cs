using ConnExporter.Kernel.Ebpf;
using ConnExporter.Metrics;
using ConnExporter.Tests.Infrastructure;
using static ConnExporter.Tests.Kernel.Ebpf.EbpfCollectorTests;

namespace ConnExporter.Tests.Kernel.Ebpf;

/// <summary>
/// The eBPF families carry the container identity the inventory families carry: a process in a
/// cgroup laid out as the kubelet and containerd lay one out
/// (<c>kubepods.slice/…/kubepods-besteffort-pod&lt;uid&gt;.slice/cri-containerd-&lt;id&gt;.scope</c>),
/// named by the kubelet's log directories under a node root given as <see cref="EbpfOptions.Rootfs"/>,
/// connects; its conn_tcp_connects_total, duration and accepts series carry container, pod and
/// namespace. The host's own series (<see cref="EbpfCollectorTests"/>) keep exactly their labels.
/// </summary>
public sealed class EbpfContainerLabelsTests
{
    /// <summary>A pod's app container cgroup and the kubelet's files naming it.</summary>
    private sealed class KubeContainer : IDisposable
    {
        public readonly string Uid = Guid.NewGuid().ToString();
        public readonly string Id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        public readonly string Rootfs = Directory.CreateTempSubdirectory("cx-node-").FullName;
        public readonly string Cgroup;
        public string Unit => $"cri-containerd-{Id}.scope";
        private readonly string _podSlice;

        public KubeContainer(string pod, string podNamespace, string container)
        {
            var root = new CgroupUnits().Root;
            Assert.NotNull(root);
            _podSlice = Path.Combine(root!, "kubepods.slice", "kubepods-besteffort.slice", $"kubepods-besteffort-pod{Uid.Replace('-', '_')}.slice");
            Cgroup = Path.Combine(_podSlice, Unit);
            Directory.CreateDirectory(Cgroup);
            Directory.CreateDirectory(Path.Combine(Rootfs, "var/log/pods", $"{podNamespace}_{pod}_{Uid}", container));
            Directory.CreateDirectory(Path.Combine(Rootfs, "var/log/containers"));
            File.CreateSymbolicLink(Path.Combine(Rootfs, "var/log/containers", $"{pod}_{podNamespace}_{container}-{Id}.log"),
                $"/var/log/pods/{podNamespace}_{pod}_{Uid}/{container}/0.log");
        }

        /// <summary>Removes the container's cgroup (the pod's stays, as while a container restarts).</summary>
        public void RemoveCgroup() => DeleteCgroup(Cgroup);

        public void Dispose()
        {
            DeleteCgroup(Cgroup);
            DeleteCgroup(_podSlice);
            Directory.Delete(Rootfs, recursive: true);
        }
    }

    [RootFact]
    public void A_containers_connects_latency_and_accepts_carry_its_container_pod_and_namespace()
    {
        using var k8s = new KubeContainer("web-0", "shop", "app");
        using var collector = Start(new EbpfOptions(Rootfs: k8s.Rootfs));
        int port = Random.Shared.Next(20000, 60000);
        string comm = $"cxk{Random.Shared.Next(100000, 999999)}";

        using var ns = new TestNamespace("cxk");
        var child = RunScenario(ns, k8s.Cgroup, comm, port, out _);
        var counts = Settled(collector, comm, port);
        AssertTotals(counts, comm, k8s.Unit, port);
        Assert.All(counts.Connects.Where(c => c.Process == comm), c => Assert.Equal(("app", "web-0", "shop", k8s.Id),
            (c.Container?.Name, c.Container?.Pod, c.Container?.PodNamespace, c.Container?.Id)));

        string labels = $"unit=\"{k8s.Unit}\",";
        string container = "container=\"app\",pod=\"web-0\",namespace=\"shop\"";
        var text = Render(new EbpfView(collector, null, 100, new DroppedSeries()));
        Assert.Contains($"conn_tcp_connects_total{{process=\"{comm}\",{labels}family=\"ipv4\",result=\"established\",{container}}} {Established}\n", text);
        Assert.Contains($"conn_tcp_connects_total{{process=\"{comm}\",{labels}family=\"ipv4\",result=\"refused\",{container}}} {Refused}\n", text);
        Assert.Contains($"conn_tcp_connect_duration_seconds_count{{process=\"{comm}\",{labels}{container}}} {Established + IPv6Established}\n", text);
        Assert.Contains($"conn_tcp_accepts_total{{port=\"{port}\",{labels}{container}}} {Established + IPv6Established}\n", text);
        // Nothing of this process lands in a host series.
        Assert.DoesNotContain($"process=\"{comm}\",{labels}family=\"ipv4\",result=\"established\"}}", text);

        child.StandardInput.WriteLine("exit");
        Assert.True(child.WaitForExit(10000));
    }

    /// <summary>
    /// A container that connected and went before the first read: the cgroup is gone from the
    /// mount, and the two path components the program recorded (the pod's slice and the
    /// container's scope) still give its id and pod uid, so it is still named.
    /// </summary>
    [RootFact]
    public void A_container_gone_before_the_first_read_is_named_from_the_recorded_cgroup_path()
    {
        using var k8s = new KubeContainer("batch-7", "jobs", "worker");
        using var collector = Start(new EbpfOptions(Rootfs: k8s.Rootfs));
        int port = Random.Shared.Next(20000, 60000);
        string comm = $"cxg{Random.Shared.Next(100000, 999999)}";

        using (var ns = new TestNamespace("cxg"))
        {
            var child = RunScenario(ns, k8s.Cgroup, comm, port, out _);
            child.StandardInput.WriteLine("exit");
            Assert.True(child.WaitForExit(10000));
        }
        k8s.RemoveCgroup();
        Assert.False(Directory.Exists(k8s.Cgroup), "the container's cgroup could not be removed");

        var counts = Settled(collector, comm, port);
        AssertTotals(counts, comm, k8s.Unit, port);
        var text = Render(new EbpfView(collector, null, 100, new DroppedSeries()));
        Assert.Contains($"conn_tcp_connects_total{{process=\"{comm}\",unit=\"{k8s.Unit}\",family=\"ipv4\",result=\"timeout\",container=\"worker\",pod=\"batch-7\",namespace=\"jobs\"}} {Timeouts}\n", text);
    }
}
