namespace ConnExporter.Tests.Inventory;

/// <summary>The first walk run before the socket set is known (beside the kernel's dump), and a
/// resolver that forgets its fd tables (the one-shot command).</summary>
public sealed partial class ProcessResolverCacheTests
{
    [Fact]
    public void A_walk_ahead_gives_what_a_cold_resolve_gives_and_reads_each_link_once()
    {
        Assert.True(_resolver.IsCold);
        _resolver.WalkAhead();
        Assert.False(_resolver.IsCold);

        var owners = _resolver.Resolve(Set(1001, 1002, 9999, 0));

        Assert.Equal([100, 200], owners.Get(1001).Select(p => p.Pid));
        Assert.Equal([100], owners.Get(1002).Select(p => p.Pid));
        Assert.Empty(owners.Get(9999));
        Assert.Equal(2, owners.OwnedSockets);
        Assert.Equal(2, owners.ProcessesScanned);
        Assert.Equal(6, owners.FdLinksRead);
        Assert.False(owners.FullRescan);
    }

    [Fact]
    public void A_forgotten_walk_ahead_is_not_matched_and_the_next_resolve_walks()
    {
        _resolver.WalkAhead();
        _proc.AddSocket(200, 9, 1003);
        _resolver.ForgetWalkAhead();

        var owners = _resolver.Resolve(Set(1001, 1003));

        Assert.Equal([200], owners.Get(1003).Select(p => p.Pid));
        Assert.Equal([100, 200], owners.Get(1001).Select(p => p.Pid));
    }

    [Fact]
    public void A_warm_resolver_does_not_walk_ahead()
    {
        _resolver.Resolve(Set(1001, 1002));
        _resolver.WalkAhead();
        _proc.AddSocket(200, 9, 1003);

        var owners = _resolver.Resolve(Set(1001, 1002, 1003));

        // The socket opened after WalkAhead is found: that call did not stand in for this walk.
        Assert.Equal([200], owners.Get(1003).Select(p => p.Pid));
        Assert.Equal(1, owners.FdLinksRead);
    }

    [Fact]
    public void Forgotten_fd_tables_are_read_whole_again_and_owners_already_returned_stay()
    {
        var before = _resolver.Resolve(Set(1001, 1002));
        _resolver.ForgetFdTables();
        _proc.AddSocket(200, 9, 1003);

        var owners = _resolver.Resolve(Set(1001, 1002, 1003));

        Assert.Equal(7, owners.FdLinksRead); // every link again: nothing was trusted
        Assert.Equal(2, owners.ProcessesRead);
        Assert.Equal([200], owners.Get(1003).Select(p => p.Pid));
        Assert.Equal([100, 200], before.Get(1001).Select(p => p.Pid));
    }
}
