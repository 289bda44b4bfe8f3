using ConnExporter.Kernel.Ebpf;

namespace ConnExporter.Tests.Kernel.Ebpf;

public sealed class DeadCgroupsTests
{
    [Fact]
    public void A_cgroup_is_gone_only_after_two_walks_missed_it()
    {
        var dead = new DeadCgroups();
        dead.BeginPass(new HashSet<ulong> { 1, 7 });
        Assert.False(dead.IsGone(7));
        Assert.False(dead.IsGone(9)); // missed once: it may have been created during the walk
        dead.EndPass();

        dead.BeginPass(new HashSet<ulong> { 1, 7 });
        Assert.True(dead.IsGone(9));
        Assert.False(dead.IsGone(7));
        dead.EndPass();
    }

    [Fact]
    public void A_cgroup_the_next_walk_finds_is_not_gone()
    {
        var dead = new DeadCgroups();
        dead.BeginPass(new HashSet<ulong> { 1 });
        Assert.False(dead.IsGone(9));
        dead.EndPass();
        dead.BeginPass(new HashSet<ulong> { 1, 9 });
        Assert.False(dead.IsGone(9));
        dead.EndPass();
        dead.BeginPass(new HashSet<ulong> { 1 });
        Assert.False(dead.IsGone(9)); // the earlier miss does not count any more
        dead.EndPass();
    }

    [Fact]
    public void Nothing_is_gone_outside_a_pass_and_id_zero_never_is()
    {
        var dead = new DeadCgroups();
        Assert.False(dead.IsGone(9));
        dead.BeginPass(new HashSet<ulong>());
        Assert.False(dead.IsGone(0));
        dead.EndPass();
        dead.BeginPass(new HashSet<ulong>());
        Assert.False(dead.IsGone(0));
        dead.EndPass();
        Assert.False(dead.IsGone(9));
    }
}
