using ConnExporter.Inventory;
using ConnExporter.Systemd;

namespace ConnExporter.Tests.Systemd;

public sealed class ServiceStatusLineTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void HealthySummary()
    {
        var connections = new Connection[1234];
        var snapshot = new Snapshot(connections, new SnapshotStats("procfs", 0, 0, 0, true, 0), Now);
        var last = new CollectionResult(snapshot, null, TimeSpan.FromMilliseconds(12.4), Now);
        Assert.Equal("1234 sockets via procfs in 12 ms; last scrape 2s ago",
            ServiceStatusLine.Format(last, Now, TimeSpan.FromSeconds(2.7), Now));
    }

    [Fact]
    public void FailingCollectionSaysWhyAndSinceWhen()
    {
        var last = new CollectionResult(null, new IOException("recvmsg: EPERM\nsecond line"), TimeSpan.Zero, Now);
        Assert.Equal("collection failing: recvmsg: EPERM second line; last success 5m ago; last scrape never",
            ServiceStatusLine.Format(last, Now - TimeSpan.FromMinutes(5.5), null, Now));
    }

    [Fact]
    public void BeforeTheFirstCollection() =>
        Assert.Equal("starting: first collection running; last scrape never", ServiceStatusLine.Format(null, null, null, Now));

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(119, "119s")]
    [InlineData(120, "2m")]
    [InlineData(7199, "119m")]
    [InlineData(7200, "2h")]
    [InlineData(-5, "0s")]
    public void AgesAreShort(int seconds, string expected) =>
        Assert.Equal(expected, ServiceStatusLine.Age(TimeSpan.FromSeconds(seconds)));
}
