namespace ConnExporter.Kernel.Ebpf;

/// <summary>
/// Decides which cgroup ids found in the eBPF maps belong to cgroups that no longer exist, so
/// their entries can be folded into user space and deleted before the maps fill up (every
/// transient unit, session scope and container gets a new cgroup id: on a long-running host the
/// dead ones would otherwise take every slot). One walk of the cgroup mount is not proof: a
/// cgroup created while it ran may be missing from it. An id is gone once two walks, one
/// retirement interval apart, both missed it while its entry was in a map.
/// </summary>
internal sealed class DeadCgroups
{
    private HashSet<ulong> _missedBefore = [];
    private HashSet<ulong> _missedNow = [];
    private IReadOnlySet<ulong>? _live;

    /// <summary>Starts a pass with the ids a fresh walk of the cgroup mount found.</summary>
    public void BeginPass(IReadOnlySet<ulong> live)
    {
        _live = live;
        _missedNow.Clear();
    }

    /// <summary>
    /// True when <paramref name="id"/> was missed by the previous pass's walk and this one's;
    /// otherwise remembers a miss for the next pass. Outside a pass nothing is gone. Id 0 (no
    /// cgroup known) is never gone.
    /// </summary>
    public bool IsGone(ulong id)
    {
        if (_live is null || id == 0 || _live.Contains(id)) return false;
        if (_missedBefore.Contains(id)) return true;
        _missedNow.Add(id);
        return false;
    }

    public void EndPass()
    {
        (_missedBefore, _missedNow) = (_missedNow, _missedBefore);
        _missedNow.Clear();
        _live = null;
    }
}
