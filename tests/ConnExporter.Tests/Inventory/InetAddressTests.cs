using ConnExporter.Inventory;

namespace ConnExporter.Tests.Inventory;

public sealed class InetAddressTests
{
    [Theory]
    [InlineData("::ffff:10.1.2.3", "10.1.2.3", IpFamily.IPv4)]
    [InlineData("::ffff:127.0.0.1", "127.0.0.1", IpFamily.IPv4)]
    [InlineData("fd00:faa5:0:100::1", "fd00:faa5:0:100::1", IpFamily.IPv6)]
    [InlineData("::", "::", IpFamily.IPv6)]
    [InlineData("::1", "::1", IpFamily.IPv6)]
    [InlineData("10.0.0.1", "10.0.0.1", IpFamily.IPv4)]
    public void NormalizeTurnsMappedIntoIPv4Only(string text, string expected, IpFamily family)
    {
        var n = InetAddress.Parse(text).Normalize();
        Assert.Equal(expected, n.ToString());
        Assert.Equal(family, n.Family);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.0.0.53", true)]
    [InlineData("127.255.255.254", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.53", true)]
    [InlineData("128.0.0.1", false)]
    [InlineData("::2", false)]
    [InlineData("0.0.0.0", false)]
    public void LoopbackIsAllOf127Slash8AndColonColon1(string text, bool loopback) =>
        Assert.Equal(loopback, InetAddress.Parse(text).IsLoopback);

    [Theory]
    [InlineData("fe80::1", true)]
    [InlineData("febf::1", true)]
    [InlineData("fec0::1", false)]
    [InlineData("fd00::1", false)]
    public void LinkLocalIsFe80Slash10(string text, bool linkLocal) =>
        Assert.Equal(linkLocal, InetAddress.Parse(text).IsIPv6LinkLocal);

    [Fact]
    public void BytesRoundTripInNetworkOrder()
    {
        Span<byte> b = stackalloc byte[16];
        Assert.Equal(4, InetAddress.Parse("1.2.3.4").WriteBytes(b));
        Assert.Equal([1, 2, 3, 4], b[..4].ToArray());
        Assert.Equal(InetAddress.Parse("1.2.3.4"), InetAddress.FromIPv4([1, 2, 3, 4]));
        Assert.Equal(16, InetAddress.Parse("2001:db8::ff").WriteBytes(b));
        Assert.Equal(0x20, b[0]);
        Assert.Equal(0xff, b[15]);
    }

    [Fact]
    public void WildcardsAreUnspecifiedInBothFamilies()
    {
        Assert.True(InetAddress.AnyIPv4.IsUnspecified);
        Assert.True(InetAddress.AnyIPv6.IsUnspecified);
        Assert.NotEqual(InetAddress.AnyIPv4, InetAddress.AnyIPv6);
    }
}
