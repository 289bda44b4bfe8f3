using System.Buffers;
using System.Text;
using ConnExporter.Inventory;
using ConnExporter.Kernel.Ebpf;
using ConnExporter.Metrics;
using ConnExporter.Metrics.Exposition;
using Microsoft.Extensions.Logging.Abstractions;
using static ConnExporter.Tests.Metrics.ViewTestKit;

namespace ConnExporter.Tests.Metrics;

public sealed class ScrapeRendererTests
{
    /// <summary>Writes half a family, then fails: nothing of it may reach the output.</summary>
    private sealed class FailingView : ISnapshotView
    {
        public string Name => "broken";
        public string Description => "fails";
        public bool EnabledByDefault => true;
        public bool NeedsOwners => false;

        public void Write(Snapshot snapshot, ExpositionWriter writer)
        {
            writer.BeginFamily("conn_broken", "half", MetricType.Gauge);
            writer.Sample("conn_broken", 1UL);
            throw new InvalidOperationException("boom");
        }
    }

    private static string Render(ScrapeRenderer renderer, CollectionResult? result, ExpositionFormat format = ExpositionFormat.PrometheusText004)
    {
        var buffer = new ArrayBufferWriter<byte>();
        renderer.Render(result, buffer, format);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static CollectionResult Ok(Snapshot s) => new(s, null, TimeSpan.FromMilliseconds(5), DateTimeOffset.UnixEpoch);

    [Fact]
    public void AFailingViewCostsOnlyItsOwnFamilies()
    {
        var renderer = new ScrapeRenderer([new FailingView(), new SocketsView()], new DroppedSeries(), null, NullLogger.Instance);
        var text = Render(renderer, Ok(Snapshot(Conn(SocketProtocol.Tcp, SocketState.Listen, "0.0.0.0", 80))));
        Assert.DoesNotContain("conn_broken", text, StringComparison.Ordinal);
        Assert.Contains("conn_sockets{", text, StringComparison.Ordinal);
        Assert.Contains("conn_exporter_collector_success{collector=\"broken\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("conn_exporter_collector_success{collector=\"sockets\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("conn_exporter_collector_success{collector=\"inventory\"} 1", text, StringComparison.Ordinal);
        Assert.False(renderer.LastOutcomes["broken"]);
        Assert.Equal(1, renderer.LastFailures);
    }

    [Fact]
    public void NoSnapshotMeansEveryCollectorFailedButTheScrapeStillAnswers()
    {
        var renderer = new ScrapeRenderer([new SocketsView()], new DroppedSeries(), null, NullLogger.Instance);
        var text = Render(renderer, null, ExpositionFormat.OpenMetrics100);
        Assert.Contains("conn_exporter_collector_success{collector=\"inventory\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("conn_exporter_collector_success{collector=\"sockets\"} 0", text, StringComparison.Ordinal);
        Assert.DoesNotContain("conn_sockets{", text, StringComparison.Ordinal);
        Assert.EndsWith("# EOF\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void EbpfCountersStillRenderWhenTheInventoryFailed()
    {
        var counts = new ConnEventCounts(
            [new("curl", "a.service", IpFamily.IPv4, ConnectResult.Refused, 4)], [], [], [],
            [new("sock:inet_sock_set_state", true)], 0, []);
        var renderer = new ScrapeRenderer(
            [new SocketsView(), new EbpfView(() => counts, null, false, 10, new DroppedSeries())],
            new DroppedSeries(), null, NullLogger.Instance);
        var text = Render(renderer, null);
        Assert.Contains("conn_exporter_collector_success{collector=\"inventory\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("conn_exporter_collector_success{collector=\"sockets\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("conn_exporter_collector_success{collector=\"ebpf\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("conn_tcp_connects_total{process=\"curl\",unit=\"a.service\",family=\"ipv4\",result=\"refused\"} 4", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnavailableEbpfCollectorFailsOnlyItself()
    {
        var renderer = new ScrapeRenderer(
            [new SocketsView(), new EbpfView((EbpfCollector?)null, "no CAP_BPF", 10, new DroppedSeries())],
            new DroppedSeries(), null, NullLogger.Instance);
        var text = Render(renderer, Ok(Snapshot(Conn(SocketProtocol.Tcp, SocketState.Listen, "0.0.0.0", 80))));
        Assert.Contains("conn_exporter_collector_success{collector=\"ebpf\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("conn_exporter_collector_success{collector=\"sockets\"} 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("conn_tcp_connects_total", text, StringComparison.Ordinal);
        Assert.False(renderer.LastOutcomes["ebpf"]);
    }

    [Fact]
    public void MalformedRecordsAreCountedOncePerCollection()
    {
        var renderer = new ScrapeRenderer([], new DroppedSeries(), null, NullLogger.Instance);
        var snapshot = new Snapshot([], new SnapshotStats("procfs", 3, 0, 0, false, 0), DateTimeOffset.UnixEpoch);
        var result = Ok(snapshot);
        Render(renderer, result);
        var text = Render(renderer, result); // a second scrape sharing the same collection
        Assert.Contains("conn_exporter_malformed_records_total 3\n", text, StringComparison.Ordinal);
        text = Render(renderer, Ok(snapshot));
        Assert.Contains("conn_exporter_malformed_records_total 6\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SharedCollectionJoinsTheOneInFlight()
    {
        int taken = 0;
        using var gate = new ManualResetEventSlim();
        var collection = new SharedCollection(() =>
        {
            Interlocked.Increment(ref taken);
            gate.Wait();
            return Snapshot();
        });
        var a = collection.CollectAsync();
        var b = collection.CollectAsync();
        Assert.Same(a, b);
        gate.Set();
        Assert.Same(await a, await b);
        Assert.Equal(1, taken);
        Assert.NotNull(collection.LastSuccess);
        await collection.CollectAsync();
        Assert.Equal(2, taken);
    }
}
