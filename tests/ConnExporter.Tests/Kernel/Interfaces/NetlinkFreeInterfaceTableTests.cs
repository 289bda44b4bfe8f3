using System.Buffers.Binary;
using System.Text;
using ConnExporter.Inventory;
using ConnExporter.Kernel.Interfaces;
using ConnExporter.Tests.Infrastructure;
using ConnExporter.Tests.Inventory;

namespace ConnExporter.Tests.Kernel.Interfaces;

/// <summary>
/// The interface table read without netlink (for units with RestrictAddressFamilies= lacking
/// AF_NETLINK): the parsers on fixed text, and the whole table against getifaddrs' in a real
/// namespace.
/// </summary>
public sealed class NetlinkFreeInterfaceTableTests
{
    [Fact]
    public void IfInet6LinesGiveAddressIndexAndName()
    {
        var text = """
            fd00faa5000001000000000000000001 03 40 00 80  wg-faas
            00000000000000000000000000000001 01 80 10 80       lo
            fe8000000000000000fc00fffe000001 04 40 20 80     eth0
            not a line
            fe80000000000000000000000000zz01 04 40 20 80     eth0

            """u8;
        var addresses = new List<InterfaceAddress>();
        Assert.Equal(2, ProcNetIfInet6.Parse(text, addresses));
        Assert.Equal(
            [
                new InterfaceAddress("wg-faas", 3, InetAddress.Parse("fd00:faa5:0:100::1")),
                new InterfaceAddress("lo", 1, InetAddress.Parse("::1")),
                new InterfaceAddress("eth0", 4, InetAddress.Parse("fe80::fc:ff:fe00:1")),
            ],
            addresses);
    }

    [Fact]
    public void ProcNetDevGivesEveryInterfaceName()
    {
        var text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:    1234      10    0    0    0     0          0         0     1234      10    0    0    0     0       0          0
            wg-faas:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
            """u8;
        var names = new List<string>();
        ProcNetDev.ParseNames(text, names);
        Assert.Equal(["lo", "wg-faas"], names);
    }

    [Fact]
    public void IfConfRequestsGiveIPv4AddressesWithAliasLabelsFolded()
    {
        var requests = new byte[3 * 40];
        Request(requests.AsSpan(0, 40), "eth0", 2, [192, 168, 1, 10]);
        Request(requests.AsSpan(40, 40), "eth0:1", 2, [192, 168, 1, 11]);
        Request(requests.AsSpan(80, 40), "odd", 10, [1, 2, 3, 4]); // not AF_INET: skipped
        var addresses = new List<InterfaceAddress>();
        SiocGifConf.Parse(requests, addresses);
        Assert.Equal(
            [
                new InterfaceAddress("eth0", 0, InetAddress.Parse("192.168.1.10")),
                new InterfaceAddress("eth0", 0, InetAddress.Parse("192.168.1.11")),
            ],
            addresses);
    }

    private static void Request(Span<byte> request, string name, ushort family, byte[] address)
    {
        Encoding.ASCII.GetBytes(name, request);
        BinaryPrimitives.WriteUInt16LittleEndian(request[16..], family);
        address.CopyTo(request[20..]);
    }

    [RootFact]
    public void WithoutNetlinkTheTableResolvesLikeGetifaddrs()
    {
        using var ns = new TestNamespace("cxif");
        // A second IPv4 address under an alias label, and an interface with no address at all.
        TestNamespace.Ip($"-n {ns.Name} addr add {ns.TunIPv4.Replace(".0.1", ".0.9", StringComparison.Ordinal)}/24 dev {TestNamespace.TunName} label {TestNamespace.TunName}:9");
        TestNamespace.Ip($"-n {ns.Name} tuntap add dev bare0 mode tun");
        var (fromApi, fromKernel, indexes) = ns.RunInside(() =>
        {
            var api = InterfaceTable.Load();
            var kernel = InterfaceTable.FromKernelFiles();
            return (api, kernel, IpLinks(ns));
        });
        Assert.False(fromApi.ReadWithoutNetlink);
        Assert.True(fromKernel.ReadWithoutNetlink);
        // ip(8) is the ground truth for names; getifaddrs misses interfaces without addresses.
        Assert.Equal(indexes.Values.Order(StringComparer.Ordinal), fromKernel.Names.Order(StringComparer.Ordinal));
        Assert.Subset(fromKernel.Names.ToHashSet(), fromApi.Names.ToHashSet());

        string[] addresses =
        [
            ns.TunIPv4, ns.TunIPv4.Replace(".0.1", ".0.9", StringComparison.Ordinal), TestNamespace.TunIPv6,
            "127.0.0.1", "::1", "0.0.0.0", "203.0.113.9",
        ];
        foreach (var address in addresses)
            Assert.Equal(fromApi.Resolve(InterfaceTableTests.Local(address)), fromKernel.Resolve(InterfaceTableTests.Local(address)));
        Assert.Equal(TestNamespace.TunName, fromKernel.Resolve(InterfaceTableTests.Local(ns.TunIPv4.Replace(".0.1", ".0.9", StringComparison.Ordinal))));
        // A socket bound to a device (any address) resolves by index to ip's name for it.
        foreach (var (index, name) in indexes)
            Assert.Equal(name, fromKernel.Resolve(InterfaceTableTests.Local("0.0.0.0", index)));
    }

    /// <summary><c>ip -o link show</c>: "3: wg-faas: &lt;…&gt;" per line.</summary>
    private static Dictionary<int, string> IpLinks(TestNamespace ns) =>
        ns.Exec("ip", "-o link show").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 3))
            .ToDictionary(f => int.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture), f => f[1].Trim().Split('@')[0]);
}
