namespace ConnExporter.Inventory;

/// <summary>A process that holds sockets, as the process cache knows it.</summary>
/// <param name="Pid">The thread-group id (what <c>/proc</c> lists).</param>
/// <param name="StartTime">Field 22 of <c>/proc/&lt;pid&gt;/stat</c>, clock ticks since boot;
/// with <paramref name="Pid"/> it identifies the process across pid reuse.</param>
/// <param name="Name">The kernel's <c>comm</c>: up to 15 arbitrary bytes (spaces, quotes,
/// parentheses included) decoded as UTF-8 with U+FFFD for invalid sequences. Escape it before
/// putting it into any text format.</param>
/// <param name="Executable">The target of <c>/proc/&lt;pid&gt;/exe</c>, null when unreadable
/// (kernel threads, or another user's process without privileges).</param>
/// <param name="Unit">The innermost systemd unit of the process's cgroup, null when none.</param>
/// <param name="Container">The container id found in the cgroup path, null outside containers.</param>
/// <param name="PodUid">The Kubernetes pod uid found in the cgroup path, null outside Kubernetes.</param>
public sealed record ProcessInfo(int Pid, ulong StartTime, string Name, string? Executable, string? Unit, string? Container,
    string? PodUid = null);
