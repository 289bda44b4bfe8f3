using System.Text;
using ConnExporter.Kernel.ProcFs;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Kernel.ProcFs;

public class ProcPidCgroupTests
{
    private const string Id = "4b825dc642cb6eb9a060e54bf8d69288fbee4904a8d2c0e1d5f6a7b8c9d0e1f2";
    private const string Id2 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string PodUid = "5f6e7d8c_9b0a_4c1d_8e2f_3a4b5c6d7e8f";

    public static TheoryData<string, string?, string?> V2Paths => new()
    {
        // path, unit, container
        { "/system.slice/nginx.service", "nginx.service", null },
        { "/system.slice/nginx.service/worker", "nginx.service", null },
        { "/user.slice/user-0.slice/session-3.scope", "session-3.scope", null },
        { "/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-1a2b.scope", "vte-spawn-1a2b.scope", null },
        { "/user.slice/user-1000.slice/user@1000.service/init.scope", "init.scope", null },
        { "/init.scope", "init.scope", null },
        { "/", null, null },
        { "/system.slice/systemd-journald.socket", "systemd-journald.socket", null },
        { "/system.slice/home.mount", "home.mount", null },
        { "/system.slice/dev-sda2.swap", "dev-sda2.swap", null },
        { "/system.slice", "system.slice", null },
        { "/machine.slice/machine-web.scope", "machine-web.scope", null },
        { "/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service", null },
        { "/system.slice/systemd-fsck@dev-disk-by\\x2duuid-1234.service", "systemd-fsck@dev-disk-by\\x2duuid-1234.service", null },
        // Docker, systemd cgroup driver; and systemd running inside the container.
        { $"/system.slice/docker-{Id}.scope", $"docker-{Id}.scope", Id },
        { $"/system.slice/docker-{Id}.scope/system.slice/nginx.service", "nginx.service", Id },
        // Docker, cgroupfs driver; docker in docker: the innermost container.
        { $"/docker/{Id}", null, Id },
        { $"/docker/{Id}/docker/{Id2}", null, Id2 },
        { "/docker/buildkit", null, null },
        { $"/containerd/{Id}", null, Id },
        // Kubernetes, systemd driver.
        { $"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{PodUid}.slice/cri-containerd-{Id}.scope", $"cri-containerd-{Id}.scope", Id },
        { $"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{PodUid}.slice/crio-{Id}.scope", $"crio-{Id}.scope", Id },
        { $"/kubepods.slice/kubepods-pod{PodUid}.slice/docker-{Id}.scope", $"docker-{Id}.scope", Id },
        { $"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{PodUid}.slice", $"kubepods-burstable-pod{PodUid}.slice", null },
        // CRI-O's monitor is not the container.
        { $"/machine.slice/crio-conmon-{Id}.scope", $"crio-conmon-{Id}.scope", null },
        // Kubernetes, cgroupfs driver.
        { $"/kubepods/burstable/pod{PodUid}/{Id}", null, Id },
        { $"/kubepods/pod{PodUid}/{Id}", null, Id },
        { $"/kubepods/besteffort/pod{PodUid}/crio-{Id}", null, Id },
        // Podman.
        { $"/machine.slice/libpod-{Id}.scope", $"libpod-{Id}.scope", Id },
        { $"/machine.slice/libpod-{Id}.scope/container", $"libpod-{Id}.scope", Id },
        { $"/machine.slice/libpod-conmon-{Id}.scope", $"libpod-conmon-{Id}.scope", null },
        { $"/libpod_parent/libpod-{Id}", null, Id },
        { $"/libpod_parent/{Id}", null, Id },
        // Not container ids: too short, upper case, or a pod-like name outside kubepods.
        { "/docker/abc123", null, null },
        { $"/docker/{Id.ToUpperInvariant()}", null, null },
        { $"/pods/pod1/{Id}", null, null },
        { $"/system.slice/docker-{Id}.scope (deleted)", $"docker-{Id}.scope", Id },
    };

    [Theory]
    [MemberData(nameof(V2Paths))]
    public void Unified_hierarchy_path(string path, string? unit, string? container)
    {
        var identity = Parse($"0::{path}\n");

        Assert.Equal(unit, identity.Unit);
        Assert.Equal(container, identity.Container);
    }

    [Fact]
    public void V1_uses_the_name_systemd_hierarchy()
    {
        var identity = Parse(
            $"12:cpu,cpuacct:/system.slice/docker-{Id}.scope\n" +
            $"4:memory:/system.slice/docker-{Id}.scope\n" +
            $"1:name=systemd:/system.slice/docker-{Id}.scope\n");

        Assert.Equal(new CgroupIdentity($"docker-{Id}.scope", Id), identity);
    }

    [Fact]
    public void V1_container_from_controllers_when_the_systemd_path_has_none()
    {
        var identity = Parse(
            $"11:devices:/docker/{Id}\n" +
            $"4:memory:/docker/{Id}\n" +
            "1:name=systemd:/system.slice/docker.service\n");

        Assert.Equal(new CgroupIdentity("docker.service", Id), identity);
    }

    [Fact]
    public void Hybrid_prefers_the_unified_line()
    {
        var identity = Parse(
            "1:name=systemd:/system.slice/old.service\n" +
            "0::/system.slice/nginx.service\n");

        Assert.Equal(new CgroupIdentity("nginx.service", null), identity);
    }

    [Fact]
    public void Hybrid_with_the_unified_root_falls_back_to_name_systemd()
    {
        var identity = Parse(
            "1:name=systemd:/system.slice/nginx.service\n" +
            "0::/\n");

        Assert.Equal(new CgroupIdentity("nginx.service", null), identity);
    }

    [Fact]
    public void Path_may_contain_colons()
    {
        var identity = Parse("0::/system.slice/odd:name.service\n");

        Assert.Equal("odd:name.service", identity.Unit);
    }

    [Fact]
    public void Real_hybrid_file_at_the_root_names_nothing()
    {
        // This machine: every hierarchy at its root, memory in a non-container directory.
        var identity = ProcPidCgroup.Parse(File.ReadAllBytes(TestEnvironment.Fixture("ProcFs", "cgroup-hybrid-root")));

        Assert.Equal(new CgroupIdentity(null, null), identity);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("0:/only-one-colon")]
    [InlineData("0::relative/path")]
    public void Malformed_content_names_nothing(string content)
    {
        Assert.Equal(new CgroupIdentity(null, null), Parse(content));
    }

    private static CgroupIdentity Parse(string content) => ProcPidCgroup.Parse(Encoding.UTF8.GetBytes(content));
}
