using ConnExporter.Inventory;

namespace ConnExporter.Metrics;

/// <summary>The label values shared by every view, as interned constants.</summary>
public static class LabelValues
{
    public static string Protocol(SocketProtocol p) => p == SocketProtocol.Tcp ? "tcp" : "udp";

    public static string Family(IpFamily f) => f == IpFamily.IPv4 ? "ipv4" : "ipv6";

    /// <summary>The name of the process a socket is attributed to: its first owner (lowest pid),
    /// so that per-process sums add up to the socket totals.</summary>
    public static string Process(in Connection c) => c.Owners.Count > 0 ? c.Owners[0].Name : "";

    public static string Unit(in Connection c) => c.Owners.Count > 0 ? c.Owners[0].Unit ?? "" : "";

    /// <summary>Port numbers as strings without allocating for the common ones.</summary>
    public static string Port(ushort port) => PortStrings[port] ??= port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static readonly string?[] PortStrings = new string?[65536];
}
