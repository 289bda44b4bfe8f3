using ConnExporter.Inventory;

namespace ConnExporter.Tests.Inventory;

public sealed class InterfaceTableTests
{
    private static readonly InterfaceTable Table = new(
        new() { [1] = "lo", [2] = "eth0", [3] = "wg-faas" },
        new()
        {
            [InetAddress.Parse("127.0.0.1")] = "lo",
            [InetAddress.Parse("192.168.1.10")] = "eth0",
            [InetAddress.Parse("10.7.0.1")] = "wg-faas",
            [InetAddress.Parse("fd00:faa5:0:100::1")] = "wg-faas",
        },
        new()
        {
            [(InetAddress.Parse("fe80::1"), 2)] = "eth0",
            [(InetAddress.Parse("fe80::1"), 3)] = "wg-faas",
            [(InetAddress.Parse("fe80::1"), 0)] = "eth0",
        });

    internal static SocketRecord Local(string address, int boundIndex = 0) =>
        new(SocketProtocol.Tcp, IpFamily.IPv6, SocketState.Listen, new(InetAddress.Parse(address), 1),
            default, boundIndex, 1, 0, 0, 0, 0);

    [Theory]
    [InlineData("10.7.0.1", 0, "wg-faas")]
    [InlineData("::ffff:10.7.0.1", 0, "wg-faas")]
    [InlineData("fd00:faa5:0:100::1", 0, "wg-faas")]
    [InlineData("0.0.0.0", 0, "any")]
    [InlineData("::", 0, "any")]
    [InlineData("127.0.0.53", 0, "lo")]
    [InlineData("::1", 0, "lo")]
    [InlineData("fe80::1", 3, "wg-faas")]
    [InlineData("fe80::1", 2, "eth0")]
    [InlineData("0.0.0.0", 3, "wg-faas")]
    [InlineData("203.0.113.9", 0, "unknown")]
    [InlineData("fe80::2", 0, "unknown")]
    public void ResolvesBoundDeviceThenAddress(string address, int boundIndex, string expected) =>
        Assert.Equal(expected, Table.Resolve(Local(address, boundIndex)));

    [Fact]
    public void LoadSeesThisHostsLoopback()
    {
        var table = InterfaceTable.Load();
        Assert.Contains("lo", table.Names);
    }
}
