using ConnExporter.Cli;
using ConnExporter.Metrics;

namespace ConnExporter.Tests.Cli;

public class ExporterInventoryOptionsTests
{
    private static InventoryOptionsProbe For(params string[] args)
    {
        var flags = ExporterFlags.Create();
        flags.Parse(args);
        var views = ExporterFlags.Views(flags, new DroppedSeries());
        var options = ExporterCommand.InventoryOptionsFor(views, "netlink", "/proc");
        return new(options.TcpInfo, options.ResolveOwners, views.Where(v => v.NeedsTcpInfo).Select(v => v.Name).ToList());
    }

    private sealed record InventoryOptionsProbe(bool TcpInfo, bool Owners, List<string> TcpInfoViews);

    [Fact]
    public void Default_collectors_ask_for_tcp_info_for_the_tcpinfo_view_only()
    {
        var probe = For();
        Assert.True(probe.TcpInfo);
        Assert.True(probe.Owners);
        Assert.Equal(["tcpinfo"], probe.TcpInfoViews);
    }

    [Fact]
    public void Without_the_tcpinfo_view_the_kernel_is_not_asked_for_tcp_info()
    {
        Assert.False(For("--no-collector.tcpinfo").TcpInfo);
        var socketsOnly = For("--collector.disable-defaults", "--collector.sockets");
        Assert.False(socketsOnly.TcpInfo);
        Assert.False(socketsOnly.Owners);
    }
}
