using System.Diagnostics;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Integration;

/// <summary>The running exporter learns addresses added after it started.</summary>
public sealed class InterfaceRefreshTests
{
    [RootFact]
    public void AnAddressAddedLaterMapsToItsInterface()
    {
        using var ns = new TestNamespace("cxi");
        using var exporter = new RunningExporter(ns, 9821);
        Assert.DoesNotContain(exporter.Scrape(), s => s.Name == "conn_interface_sockets" && s["interface"] == TestNamespace.TunName);

        // New address after start, and a listener bound to it.
        var address = ns.TunIPv4.Replace(".0.1", ".0.77", StringComparison.Ordinal);
        TestNamespace.Ip($"-n {ns.Name} addr add {address}/32 dev {TestNamespace.TunName}");
        var holder = ns.Start("python3", ["-c",
            $"import socket,sys; s=socket.socket(); s.bind(('{address}', 7777)); s.listen(); print('ok', flush=True); sys.stdin.read()"]);
        Assert.Equal("ok", holder.StandardOutput.ReadLine());

        var clock = Stopwatch.StartNew();
        string seen = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            var listener = exporter.Scrape().SingleOrDefault(s => s.Name == "conn_listeners_info" && s["port"] == "7777");
            seen = listener?["interface"] ?? "absent";
            if (seen == TestNamespace.TunName) return;
            Thread.Sleep(200);
        }
        Assert.Fail($"listener on a new address stayed '{seen}'");
    }
}
