using System.Text;
using ConnExporter.Inventory;

namespace ConnExporter.Cli;

/// <summary>Writes connections as a table in the spirit of <c>ss -tuanp</c>, plus interface,
/// direction, unit and container columns.</summary>
public static class ConnectionsTableWriter
{
    private static readonly string[] Header =
        ["Netid", "State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port", "Interface", "Direction", "Process", "Unit", "Container"];

    public static void Write(TextWriter output, IReadOnlyList<Connection> connections)
    {
        var rows = new List<string[]>(connections.Count + 1) { Header };
        foreach (var c in connections)
        {
            var s = c.Socket;
            rows.Add([
                s.Protocol == SocketProtocol.Tcp ? "tcp" : "udp",
                SocketStates.Name(s.Protocol, s.State),
                s.ReceiveQueue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                s.SendQueue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Endpoint(s.Local),
                Endpoint(s.Remote, wildcardPort: true),
                c.Interface,
                Directions.Name(c.Direction),
                Processes(c),
                ConnectionsJsonWriter.Unit(c) ?? "-",
                ShortId(ConnectionsJsonWriter.Container(c)),
            ]);
        }
        var widths = new int[Header.Length];
        foreach (var row in rows)
            for (int i = 0; i < row.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        var line = new StringBuilder();
        foreach (var row in rows)
        {
            line.Clear();
            for (int i = 0; i < row.Length; i++)
            {
                if (i > 0) line.Append(' ');
                if (i == row.Length - 1) line.Append(row[i]);
                else line.Append(row[i].PadRight(widths[i]));
            }
            output.WriteLine(line.ToString().TrimEnd());
        }
    }

    private static string Endpoint(InetEndpoint e, bool wildcardPort = false)
    {
        var address = e.Address.Normalize();
        var host = address.IsUnspecified ? "*" : address.Family == IpFamily.IPv6 ? $"[{address}]" : address.ToString();
        var port = wildcardPort && e.Port == 0 ? "*" : e.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"{host}:{port}";
    }

    private static string Processes(in Connection c)
    {
        if (c.Owners.Count == 0) return c.Socket.Inode == 0 ? "unowned" : "-";
        // Printable: comm is 15 arbitrary bytes; control characters would break the table.
        return string.Join(',', c.Owners.Select(p => $"\"{Printable(p.Name)}\"(pid={p.Pid})"));
    }

    private static string Printable(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (char ch in name)
        {
            if (ch == '"' || ch == '\\') sb.Append('\\').Append(ch);
            else if (char.IsControl(ch)) sb.Append("\\x").Append(((int)ch).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(ch);
        }
        return sb.ToString();
    }

    private static string ShortId(string? id) => id is null ? "-" : id.Length > 12 ? id[..12] : id;
}
