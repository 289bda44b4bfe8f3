using System.Net;
using System.Text;
using ConnExporter.Inventory;

namespace ConnExporter.Tests.Cli;

/// <summary>The allocation-free address formatter against System.Net.IPAddress, the reference.</summary>
public class InetAddressTextTests
{
    private static string Ours(InetAddress a)
    {
        Span<byte> buffer = stackalloc byte[InetAddressText.MaxLength];
        return Encoding.ASCII.GetString(buffer[..InetAddressText.Format(a, buffer)]);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("127.0.0.53")]
    [InlineData("255.255.255.255")]
    [InlineData("10.7.0.1")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("2001:db8::1:0:0:1")]      // two runs of equal length: the first is compressed
    [InlineData("2001:db8:0:1:1:1:1:1")]   // a single zero word is never "::"
    [InlineData("2001:0:0:1::1")]
    [InlineData("::ffff:10.0.0.1")]        // mapped: printed with an embedded IPv4 part
    [InlineData("::10.0.0.1")]
    [InlineData("::ffff:0:10.0.0.1")]
    [InlineData("fe80::5efe:10.0.0.1")]
    [InlineData("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    public void Formats_as_IPAddress_does(string text)
    {
        var address = IPAddress.Parse(text);
        Assert.Equal(address.ToString(), Ours(InetAddress.FromIPAddress(address)));
    }

    [Fact]
    public void Random_addresses_with_zero_runs_format_as_IPAddress_does()
    {
        var random = new Random(1234);
        var bytes = new byte[16];
        for (int i = 0; i < 20_000; i++)
        {
            random.NextBytes(bytes);
            // Zero some 16-bit words so that runs of every length and position occur.
            for (int w = 0; w < 8; w++)
                if (random.Next(3) == 0) bytes[2 * w] = bytes[2 * w + 1] = 0;
            var address = new IPAddress(bytes);
            Assert.Equal(address.ToString(), Ours(InetAddress.FromIPv6(bytes)));
        }
    }
}
