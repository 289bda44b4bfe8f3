using System.Net;
using System.Text.RegularExpressions;

namespace ConnExporter.Tests.Infrastructure;

/// <summary>Rows of <c>ss -H -tuanp</c>, the ground truth the inventory is compared with.</summary>
public sealed partial record SsRow(
    string Protocol, string Family, string State, string LocalAddress, int LocalPort, string? Device,
    string RemoteAddress, int RemotePort, IReadOnlySet<int> Pids)
{
    /// <summary>Runs ss in the namespace for one family and parses every row.</summary>
    public static List<SsRow> Read(TestNamespace ns, string family) =>
        Parse(ns.Exec("ss", $"-H -tuanp {(family == "ipv4" ? "-4" : "-6")}"), family);

    /// <summary>ss in the network namespace of process <paramref name="pid"/>
    /// (<c>nsenter -t PID -n ss</c>, the ground truth for a container's sockets).</summary>
    public static List<SsRow> ReadInside(int pid, string family) =>
        Parse(TestNamespace.Run("nsenter", $"-t {pid} -n ss -H -tuanp {(family == "ipv4" ? "-4" : "-6")}"), family);

    /// <summary>ss in a namespace pinned at <paramref name="pin"/> (no process needed).</summary>
    public static List<SsRow> ReadPinned(string pin, string family) =>
        Parse(TestNamespace.Run("nsenter", $"--net={pin} ss -H -tuanp {(family == "ipv4" ? "-4" : "-6")}"), family);

    private static List<SsRow> Parse(string text, string family)
    {
        var rows = new List<SsRow>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = Whitespace().Split(line.Trim(), 7);
            var (la, lp, dev) = Endpoint(f[4], family);
            var (ra, rp, _) = Endpoint(f[5], family);
            var pids = f.Length > 6 ? Pid().Matches(f[6]).Select(m => int.Parse(m.Groups[1].Value)).ToHashSet() : [];
            rows.Add(new SsRow(f[0], family, KernelState(f[0], f[1]), la, lp, dev, ra, rp, pids));
        }
        return rows;
    }

    public string Key => $"{Protocol}|{LocalAddress}|{LocalPort}|{RemoteAddress}|{RemotePort}|{State}";

    private static (string, int, string?) Endpoint(string text, string family)
    {
        int colon = text.LastIndexOf(':');
        var host = text[..colon];
        var portText = text[(colon + 1)..];
        string? dev = null;
        int pct = host.IndexOf('%');
        if (pct >= 0)
        {
            dev = host[(pct + 1)..];
            host = host[..pct];
        }
        host = host.Trim('[', ']');
        if (host == "*") host = family == "ipv4" ? "0.0.0.0" : "::";
        var ip = IPAddress.Parse(host);
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        return (ip.ToString(), portText == "*" ? 0 : int.Parse(portText), dev);
    }

    private static string KernelState(string netid, string ss) => ss switch
    {
        "ESTAB" => "ESTABLISHED",
        "UNCONN" => netid == "udp" ? "UNCONN" : "CLOSE",
        _ => ss.Replace("FIN-WAIT-", "FIN_WAIT", StringComparison.Ordinal).Replace('-', '_'),
    };

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"pid=(\d+)")]
    private static partial Regex Pid();
}
