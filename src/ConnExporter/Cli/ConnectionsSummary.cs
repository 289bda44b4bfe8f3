using System.Globalization;
using System.Text.Json;
using ConnExporter.Inventory;

namespace ConnExporter.Cli;

/// <summary>
/// <c>--summary</c>: how many of the selected sockets there are per protocol and state, and per
/// process (a socket counts for its first owner, as in <c>conn_process_sockets</c>; sockets no
/// process holds as <c>unowned</c>). Held per group, never per socket.
/// </summary>
public sealed class ConnectionsSummary
{
    private readonly ulong[,] _states = new ulong[2, 256];
    private readonly Dictionary<(string Process, string? Unit), ulong> _processes = [];

    /// <summary>Sockets counted.</summary>
    public ulong Total { get; private set; }

    /// <summary>Whether owners were resolved: without them there is no per-process part.</summary>
    public bool WithOwners { get; }

    public ConnectionsSummary(bool withOwners) => WithOwners = withOwners;

    public static ConnectionsSummary Of(IReadOnlyList<Connection> connections, ConnectionFilter filter, bool withOwners)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(filter);
        var summary = new ConnectionsSummary(withOwners);
        for (int i = 0; i < connections.Count; i++)
        {
            var c = connections[i];
            if (filter.Matches(c)) summary.Add(c);
        }
        return summary;
    }

    public void Add(in Connection c)
    {
        Total++;
        _states[c.Socket.Protocol == SocketProtocol.Tcp ? 0 : 1, (byte)c.Socket.State]++;
        if (!WithOwners) return;
        var key = c.Owners.Count > 0 ? (c.Owners[0].Name, c.Owners[0].Unit) : ("unowned", null);
        _processes[key] = _processes.GetValueOrDefault(key) + 1;
    }

    /// <summary>(protocol, state, sockets) for every state with a socket, TCP then UDP, in kernel order.</summary>
    public IEnumerable<(string Protocol, string State, ulong Sockets)> States()
    {
        for (int p = 0; p < 2; p++)
        {
            var protocol = p == 0 ? SocketProtocol.Tcp : SocketProtocol.Udp;
            for (int s = 0; s < 256; s++)
                if (_states[p, s] > 0) yield return (p == 0 ? "tcp" : "udp", SocketStates.Name(protocol, (SocketState)s), _states[p, s]);
        }
    }

    /// <summary>(process, unit, sockets), most sockets first.</summary>
    public IEnumerable<(string Process, string? Unit, ulong Sockets)> Processes() =>
        _processes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Process, StringComparer.Ordinal)
            .ThenBy(kv => kv.Key.Unit, StringComparer.Ordinal).Select(kv => (kv.Key.Process, kv.Key.Unit, kv.Value));

    public void WriteTable(BufferedUtf8Output output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var states = new AlignedRows(["Netid", "State", "Sockets"], [false, false, true]);
        foreach (var (protocol, state, n) in States()) states.Add(protocol, state, Number(n));
        states.Add("total", "", Number(Total));
        states.Write(output);
        if (!WithOwners) return;
        output.WriteByte((byte)'\n');
        var processes = new AlignedRows(["Process", "Unit", "Sockets"], [false, false, true]);
        foreach (var (process, unit, n) in Processes()) processes.Add(Printable(process), unit ?? "-", Number(n));
        processes.Write(output);
    }

    public void WriteJson(BufferedUtf8Output output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("total", Total);
        json.WriteStartArray("states");
        foreach (var (protocol, state, n) in States())
        {
            json.WriteStartObject();
            json.WriteString("protocol", protocol);
            json.WriteString("state", state);
            json.WriteNumber("sockets", n);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (WithOwners)
        {
            json.WriteStartArray("processes");
            foreach (var (process, unit, n) in Processes())
            {
                json.WriteStartObject();
                json.WriteString("process", process);
                if (unit is null) json.WriteNull("unit");
                else json.WriteString("unit", unit);
                json.WriteNumber("sockets", n);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
    }

    internal static string Number(ulong n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>A process name escaped as in the connection table (quotes, backslashes, control characters).</summary>
    internal static string Printable(string name)
    {
        using var stream = new MemoryStream();
        var o = new BufferedUtf8Output(stream, 256);
        ConnectionsTableWriter.WritePrintable(o, name);
        o.Flush();
        return System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }
}
