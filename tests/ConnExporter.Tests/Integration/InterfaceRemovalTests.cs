using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Integration;

/// <summary>
/// An interface deleted while its sockets are being scraped (a pod's veth going away, a VPN
/// tunnel torn down): the sockets outlive their address, and no scrape may fail meanwhile.
/// </summary>
public sealed class InterfaceRemovalTests
{
    private const string Doomed = "cxgone0";

    [RootFact]
    public void ScrapesKeepAnsweringWhileAnInterfaceIsDeletedUnderTheirSockets()
    {
        using var ns = new TestNamespace("cxrm");
        TestNamespace.Ip($"-n {ns.Name} tuntap add dev {Doomed} mode tun");
        TestNamespace.Ip($"-n {ns.Name} link set {Doomed} up");
        string address = ns.TunIPv4.Replace(".0.1", ".9.1", StringComparison.Ordinal);
        TestNamespace.Ip($"-n {ns.Name} addr add {address}/24 dev {Doomed}");
        // A TCP listener and a UDP socket on the doomed address, and one bound to the device itself.
        var holder = ns.Start("python3", ["-c", $"""
            import socket, sys
            t = socket.socket(); t.bind(("{address}", 7781)); t.listen()
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("{address}", 7782))
            d = socket.socket(); d.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"{Doomed}"); d.bind(("0.0.0.0", 7783)); d.listen()
            print("ok", flush=True); sys.stdin.read()
            """]);
        Assert.Equal("ok", holder.StandardOutput.ReadLine());

        using var exporter = new RunningExporter(ns, 9827);
        var before = exporter.Scrape();
        Assert.Contains(before, s => s.Name == "conn_interface_sockets" && s["interface"] == Doomed);
        Assert.Contains(before, s => s.Name == "conn_listeners_info" && s["port"] == "7781" && s["interface"] == Doomed);

        // Scrape as fast as possible on another thread while the link goes away.
        int scrapes = 0;
        var failures = new List<string>();
        using var stop = new CancellationTokenSource();
        var scraper = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                string code = exporter.Curl("/metrics", check: false, "-o", "/dev/null", "-w", "%{http_code}");
                Interlocked.Increment(ref scrapes);
                if (code != "200") lock (failures) failures.Add(code);
            }
        });
        while (Volatile.Read(ref scrapes) < 5) Thread.Sleep(20);
        TestNamespace.Ip($"-n {ns.Name} link del {Doomed}");
        int atDeletion = Volatile.Read(ref scrapes);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Volatile.Read(ref scrapes) < atDeletion + 10 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        stop.Cancel();
        scraper.Wait(TimeSpan.FromSeconds(40));

        Assert.True(failures.Count == 0, $"scrapes that did not answer 200: {string.Join(", ", failures)}");
        Assert.True(scrapes >= atDeletion + 10, $"only {scrapes - atDeletion} scrapes after the deletion");
        Assert.False(exporter.HasExited, "the exporter exited: " + exporter.Stderr);

        // The sockets live on, attributed as the README says: an address no interface owns is
        // `unknown`; the deleted interface's series are gone (addresses are reloaded on change).
        List<ScrapedSample> after = [];
        for (int i = 0; i < 50; i++)
        {
            after = exporter.Scrape();
            if (!after.Any(s => s.Name == "conn_interface_sockets" && s["interface"] == Doomed)) break;
            Thread.Sleep(200);
        }
        Assert.DoesNotContain(after, s => s.Name == "conn_interface_sockets" && s["interface"] == Doomed);
        var listener = Assert.Single(after, s => s.Name == "conn_listeners_info" && s["port"] == "7781");
        Assert.Equal("unknown", listener["interface"]);
        Assert.Contains(after, s => s.Name == "conn_exporter_collector_success" && s["collector"] == "inventory" && s.Value == 1);
        Assert.DoesNotContain("Unhandled", exporter.Stderr, StringComparison.Ordinal);
    }
}
