using ConnExporter.Inventory;
using ConnExporter.Kernel.Ebpf;

namespace ConnExporter.Tests.Kernel.Ebpf;

public sealed class RetiredCountsTests
{
    [Fact]
    public void Retired_counts_keep_their_labels_and_add_up()
    {
        var retired = new RetiredCounts();
        retired.Add(new ConnectCount("curl", "a.service", IpFamily.IPv4, ConnectResult.Refused, 3));
        retired.Add(new ConnectCount("curl", "a.service", IpFamily.IPv4, ConnectResult.Refused, 2));
        retired.Add(new ConnectLatency("curl", "a.service", [1, 2, 0], 0.5));
        retired.Add(new ConnectLatency("curl", "a.service", [0, 1, 1], 0.25));
        retired.Add(new AcceptCount(443, "b.service", 4));

        var connects = new List<ConnectCount>();
        var latencies = new List<ConnectLatency>();
        var accepts = new List<AcceptCount>();
        retired.AppendTo(connects, latencies, accepts);

        Assert.Equal(new ConnectCount("curl", "a.service", IpFamily.IPv4, ConnectResult.Refused, 5), Assert.Single(connects));
        var latency = Assert.Single(latencies);
        Assert.Equal([1UL, 3UL, 1UL], latency.Slots);
        Assert.Equal(0.75, latency.SumSeconds);
        Assert.Equal(new AcceptCount(443, "b.service", 4), Assert.Single(accepts));
    }

    [Fact]
    public void Retired_label_sets_beyond_the_cap_fold_into_other()
    {
        var retired = new RetiredCounts();
        for (int i = 0; i <= RetiredCounts.MaxLabelSets; i++)
            retired.Add(new ConnectCount("p", $"run-u{i}.scope", IpFamily.IPv4, ConnectResult.Established, 1));
        var connects = new List<ConnectCount>();
        retired.AppendTo(connects, [], []);
        Assert.Equal(RetiredCounts.MaxLabelSets + 1, connects.Count);
        Assert.Contains(new ConnectCount("other", "other", IpFamily.IPv4, ConnectResult.Established, 1), connects);
        Assert.Equal((ulong)RetiredCounts.MaxLabelSets + 1, (ulong)connects.Sum(c => (decimal)c.Count));
    }
}
