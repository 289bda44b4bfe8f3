using ConnExporter.Kernel.ProcFs;

namespace ConnExporter.Kernel.Ebpf;

/// <summary>What a cgroup's path says about its processes: the systemd unit ("" when none), the
/// container id (the runtime's full id, as <see cref="ProcPidCgroup.ContainerOf"/> finds it) and
/// the Kubernetes pod uid (<see cref="ProcPidCgroup.PodUidOf"/>), each null when the path names none.</summary>
internal readonly record struct CgroupLabels(string Unit, string? ContainerId, string? PodUid)
{
    public static CgroupLabels None => new("", null, null);

    public static CgroupLabels Of(string path)
    {
        var container = ProcPidCgroup.ContainerOf(path);
        return new(ProcPidCgroup.UnitOf(path) ?? "", container, container is null ? null : ProcPidCgroup.PodUidOf(path));
    }
}
