using System.Globalization;
using ConnExporter.Cli;
using ConnExporter.Inventory;

namespace ConnExporter.Metrics;

/// <summary>
/// A CIDR with a name, from <c>--collector.peers.networks=name=cidr,…</c>: peers inside it are
/// reported by the name instead of their address, which bounds the peers metric by design.
/// </summary>
public sealed record NamedNetwork(string Name, InetAddress Prefix, int Length)
{
    public static IReadOnlyList<NamedNetwork> ParseList(IEnumerable<string> values, string flag)
    {
        var result = new List<NamedNetwork>();
        foreach (var value in values)
        {
            foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = item.IndexOf('=', StringComparison.Ordinal);
                int slash = item.LastIndexOf('/');
                if (eq <= 0 || slash < eq
                    || !System.Net.IPAddress.TryParse(item.AsSpan(eq + 1, slash - eq - 1), out var ip)
                    || !int.TryParse(item.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int length))
                    throw new CommandLineException($"invalid value '{item}' for flag '--{flag}': expected name=address/prefix, e.g. office=10.0.0.0/8");
                var prefix = InetAddress.FromIPAddress(ip).Normalize();
                int max = prefix.Family == IpFamily.IPv4 ? 32 : 128;
                if (length > max)
                    throw new CommandLineException($"invalid value '{item}' for flag '--{flag}': prefix length {length} exceeds {max}");
                result.Add(new NamedNetwork(item[..eq], prefix, length));
            }
        }
        return result;
    }

    /// <summary>The name of the first of <paramref name="networks"/> holding <paramref name="address"/>, or null.</summary>
    public static string? NameOf(IReadOnlyList<NamedNetwork> networks, InetAddress address)
    {
        foreach (var n in networks)
            if (n.Contains(address)) return n.Name;
        return null;
    }

    public bool Contains(InetAddress address)
    {
        address = address.Normalize();
        if (address.Family != Prefix.Family) return false;
        Span<byte> a = stackalloc byte[16];
        Span<byte> p = stackalloc byte[16];
        address.WriteBytes(a);
        Prefix.WriteBytes(p);
        int full = Length / 8;
        if (!a[..full].SequenceEqual(p[..full])) return false;
        int rest = Length % 8;
        if (rest == 0) return true;
        int mask = 0xFF << (8 - rest) & 0xFF;
        return (a[full] & mask) == (p[full] & mask);
    }
}
