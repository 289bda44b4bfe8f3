namespace ConnExporter.Kernel.ProcFs;

/// <summary>What a process's cgroup path says about where it runs.</summary>
/// <param name="Unit">The innermost systemd unit of the path (<c>nginx.service</c>,
/// <c>session-3.scope</c>, <c>docker-&lt;id&gt;.scope</c>); null when the path names none.</param>
/// <param name="Container">The container id as the runtime spells it (64 hex digits for
/// Docker, containerd and CRI-O); null outside containers.</param>
/// <param name="PodUid">The Kubernetes pod uid of a <c>kubepods</c> path (dashes restored where
/// the systemd cgroup driver wrote underscores); null outside Kubernetes.</param>
internal readonly record struct CgroupIdentity(string? Unit, string? Container, string? PodUid = null);
