using ConnExporter.Inventory;
using ConnExporter.Systemd;
using ConnExporter.Web;

namespace ConnExporter.Tests.Systemd;

public sealed class CollectionHeartbeatTests
{
    private static Snapshot Empty() => new([], new SnapshotStats("netlink", 0, 0, 0, false, 0), DateTimeOffset.UtcNow);

    [Fact]
    public void PeriodIsHalfTheWatchdogWithinBounds()
    {
        var collection = new SharedCollection(Empty);
        var health = new ExporterHealth(collection, TimeSpan.FromMinutes(2));
        Assert.Equal(TimeSpan.FromSeconds(15), new CollectionHeartbeat(collection, health, TimeSpan.FromSeconds(30)).Period);
        Assert.Equal(CollectionHeartbeat.MaxPeriod, new CollectionHeartbeat(collection, health, TimeSpan.FromMinutes(5)).Period);
        Assert.Equal(CollectionHeartbeat.MinPeriod, new CollectionHeartbeat(collection, health, TimeSpan.FromMilliseconds(400)).Period);
    }

    [Fact]
    public async Task AHungCollectionIsAProblem()
    {
        using var release = new ManualResetEventSlim();
        var collection = new SharedCollection(() =>
        {
            release.Wait(TimeSpan.FromSeconds(30));
            return Empty();
        });
        var health = new ExporterHealth(collection, TimeSpan.FromMinutes(2));
        await using var heartbeat = new CollectionHeartbeat(collection, health, TimeSpan.FromMilliseconds(200));
        Assert.Null(heartbeat.Problem());

        var hung = collection.CollectAsync();
        await Task.Delay(400);
        Assert.Contains("has been running", heartbeat.Problem(), StringComparison.Ordinal);

        release.Set();
        await hung;
        Assert.Null(heartbeat.Problem());
    }

    [Fact]
    public async Task CollectsInTheBackgroundWhenNobodyScrapes()
    {
        var collection = new SharedCollection(Empty);
        var health = new ExporterHealth(collection, TimeSpan.FromMinutes(2));
        await using var heartbeat = new CollectionHeartbeat(collection, health, TimeSpan.FromSeconds(2));
        heartbeat.Start();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (collection.Completed == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(collection.Completed > 0, "the heartbeat started no collection");
        Assert.True(heartbeat.Started > 0);
        Assert.Null(heartbeat.Problem());
    }
}
