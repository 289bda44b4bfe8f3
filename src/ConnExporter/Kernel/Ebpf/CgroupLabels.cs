using ConnExporter.Kernel.ProcFs;

namespace ConnExporter.Kernel.Ebpf;

/// <summary>What a cgroup's path says about its processes: the systemd unit and the container id
/// (the runtime's full id, as <see cref="ProcPidCgroup.ContainerOf"/> finds it), each "" when none.</summary>
internal readonly record struct CgroupLabels(string Unit, string Container)
{
    public static CgroupLabels None => new("", "");

    public static CgroupLabels Of(string path) =>
        new(ProcPidCgroup.UnitOf(path) ?? "", ProcPidCgroup.ContainerOf(path) ?? "");
}
