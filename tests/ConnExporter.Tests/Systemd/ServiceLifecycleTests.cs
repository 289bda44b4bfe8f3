using ConnExporter.Inventory;
using ConnExporter.Systemd;
using ConnExporter.Tests.Inventory;

namespace ConnExporter.Tests.Systemd;

public sealed class ServiceLifecycleTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private static Snapshot Empty() => new([], new SnapshotStats("netlink", 0, 0, 0, false, 0), DateTimeOffset.UtcNow);

    private static ServiceLifecycle Create(NotifySocket? notify, SharedCollection collection, ReloadHooks? reloads = null,
        ListLogger? logger = null, TimeSpan? statusEvery = null) =>
        new(notify, reloads ?? new ReloadHooks(),
            () => ServiceStatusLine.Format(collection.Last, collection.LastSuccess, null, DateTimeOffset.UtcNow),
            logger ?? new ListLogger(), statusEvery ?? Hour);

    [Fact]
    public async Task ReadyOnlyOnceACollectionHasSucceeded()
    {
        using var receiver = new NotifyReceiver();
        using var notify = NotifySocket.Open(receiver.NotifySocketPath);
        int attempts = 0;
        var collection = new SharedCollection(() => ++attempts <= 2 ? throw new IOException("netlink said no") : Empty());
        var logger = new ListLogger();
        await using var lifecycle = Create(notify, collection, logger: logger);

        var first = await lifecycle.ReadyWhenCollectedAsync(collection, TimeSpan.FromMilliseconds(20), CancellationToken.None);

        Assert.NotNull(first.Snapshot);
        Assert.Equal(3, attempts);
        Assert.True(lifecycle.IsReady);
        var failing = "STATUS=collection failing: netlink said no; last success never; last scrape never";
        Assert.Equal(failing, receiver.Next(Wait));
        Assert.Equal(failing, receiver.Next(Wait));
        Assert.Equal("READY=1", receiver.Next(Wait));
        Assert.Matches(@"^STATUS=0 sockets via netlink in \d+ ms; last scrape never$", receiver.Next(Wait));
        Assert.Null(receiver.Next(TimeSpan.FromMilliseconds(100)));
        Assert.Equal(2, logger.Entries.Count(e => e.Message.Contains("not ready yet", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ReloadIsAnnouncedWithTheMonotonicTimeThenReadyAgain()
    {
        using var receiver = new NotifyReceiver(abstractName: true);
        using var notify = NotifySocket.Open(receiver.NotifySocketPath);
        var collection = new SharedCollection(Empty);
        var reloads = new ReloadHooks();
        var order = new List<string>();
        reloads.Register("first", () => order.Add("first"));
        reloads.Register("broken", () => throw new InvalidDataException("bad yaml"));
        reloads.Register("last", () => order.Add("last"));
        var logger = new ListLogger();
        await using var lifecycle = Create(notify, collection, reloads, logger);
        await lifecycle.ReadyWhenCollectedAsync(collection, Hour, CancellationToken.None);
        Assert.Equal("READY=1", receiver.NextEvent(Wait));

        ulong before = MonotonicClock.NowMicroseconds();
        await lifecycle.ReloadAsync();
        ulong after = MonotonicClock.NowMicroseconds();

        var reloading = receiver.NextEvent(Wait).Split('\n');
        Assert.Equal(2, reloading.Length);
        Assert.Equal("RELOADING=1", reloading[0]);
        Assert.StartsWith("MONOTONIC_USEC=", reloading[1], StringComparison.Ordinal);
        ulong usec = ulong.Parse(reloading[1]["MONOTONIC_USEC=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(usec, before, after);
        Assert.Equal("READY=1", receiver.NextEvent(Wait));
        Assert.StartsWith("STATUS=", receiver.Next(Wait), StringComparison.Ordinal);
        // A failing component keeps its old configuration; the others still reload.
        Assert.Equal(["first", "last"], order);
        Assert.Contains(logger.Entries, e => e.Message.Contains("broken", StringComparison.Ordinal) && e.Message.Contains("bad yaml", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReloadBeforeReadyIsNotAnnounced()
    {
        using var receiver = new NotifyReceiver();
        using var notify = NotifySocket.Open(receiver.NotifySocketPath);
        var reloads = new ReloadHooks();
        int reloaded = 0;
        reloads.Register("counter", () => reloaded++);
        await using var lifecycle = Create(notify, new SharedCollection(Empty), reloads);

        await lifecycle.ReloadAsync();

        Assert.Equal(1, reloaded);
        Assert.Null(receiver.Next(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task StoppingIsSentOnceAndNothingFollowsIt()
    {
        using var receiver = new NotifyReceiver();
        using var notify = NotifySocket.Open(receiver.NotifySocketPath);
        var reloads = new ReloadHooks();
        int reloaded = 0;
        reloads.Register("counter", () => reloaded++);
        await using var lifecycle = Create(notify, new SharedCollection(Empty), reloads);
        lifecycle.Ready();
        Assert.Equal("READY=1", receiver.NextEvent(Wait));

        lifecycle.Stopping();
        lifecycle.Stopping();
        lifecycle.Ready();
        await lifecycle.ReloadAsync();

        Assert.Equal("STOPPING=1", receiver.NextEvent(Wait));
        Assert.Empty(receiver.Drain(TimeSpan.FromMilliseconds(200)));
        Assert.Equal(0, reloaded);
        Assert.True(lifecycle.IsStopping);
    }

    [Fact]
    public async Task StatusIsRefreshedPeriodically()
    {
        using var receiver = new NotifyReceiver();
        using var notify = NotifySocket.Open(receiver.NotifySocketPath);
        var collection = new SharedCollection(Empty);
        await using var lifecycle = Create(notify, collection, statusEvery: TimeSpan.FromMilliseconds(50));

        lifecycle.StartStatusUpdates();

        Assert.Equal("STATUS=starting: first collection running; last scrape never", receiver.Next(Wait));
        await collection.CollectAsync();
        var next = receiver.Drain(TimeSpan.FromMilliseconds(300)).Last();
        Assert.Matches(@"^STATUS=0 sockets via netlink in \d+ ms; last scrape never$", next);
    }

    [Fact]
    public async Task WithoutAManagerNothingIsSentAndNothingFails()
    {
        var collection = new SharedCollection(Empty);
        await using var lifecycle = Create(null, collection);
        lifecycle.StartStatusUpdates();
        await lifecycle.ReadyWhenCollectedAsync(collection, Hour, CancellationToken.None);
        await lifecycle.ReloadAsync();
        lifecycle.Stopping();
        Assert.True(lifecycle.IsReady);
        Assert.True(lifecycle.IsStopping);
    }
}
