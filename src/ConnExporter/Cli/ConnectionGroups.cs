using System.Text.Json;
using ConnExporter.Inventory;

namespace ConnExporter.Cli;

/// <summary>What <c>--group-by</c> groups the selected sockets by.</summary>
public enum GroupBy
{
    /// <summary>The first owner's name and unit, with a count per state.</summary>
    Process,

    /// <summary>The first owner's unit, with a count per state.</summary>
    Unit,

    /// <summary>Established connections as <c>conn_peers</c> counts them: incoming by local
    /// service port and client address, outgoing by remote address and port; no ephemeral port.</summary>
    Peer,
}

/// <summary>
/// <c>--group-by process|unit|peer</c>: the selected sockets counted per group, most first —
/// the aggregation the metrics make (<c>conn_process_sockets</c>, <c>conn_peers</c>) in the
/// terminal, uncapped. Held per group, never per socket.
/// </summary>
public sealed class ConnectionGroups
{
    public static readonly string[] Names = ["process", "unit", "peer"];

    /// <param name="Actual">The real destination behind a destination NAT (<c>--conntrack</c>), as
    /// <c>conn_peers</c>' actual_peer_address/actual_port split its series; null when not translated.</param>
    private readonly record struct Key(string Process, string? Unit, Direction Direction, InetAddress Peer, ushort Port, SocketProtocol Protocol,
        InetEndpoint? Actual = null);

    private readonly GroupBy _by;
    private readonly Dictionary<Key, ulong[]> _groups = [];
    // States are 0-12: 16 slots per protocol, TCP then UDP.
    private const int Slots = 2 * 16;
    private readonly bool[] _statesSeen = new bool[Slots];
    private bool _anyTranslated;

    public ConnectionGroups(GroupBy by) => _by = by;

    public static GroupBy Parse(string value) => value switch
    {
        "process" => GroupBy.Process,
        "unit" => GroupBy.Unit,
        "peer" => GroupBy.Peer,
        _ => throw new FilterValueException("group-by", value, "expected process, unit or peer"),
    };

    public static ConnectionGroups Of(GroupBy by, IReadOnlyList<Connection> connections, ConnectionFilter filter)
    {
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(filter);
        var groups = new ConnectionGroups(by);
        for (int i = 0; i < connections.Count; i++)
        {
            var c = connections[i];
            if (filter.Matches(c)) groups.Add(c);
        }
        return groups;
    }

    public int Count => _groups.Count;

    public void Add(in Connection c)
    {
        var s = c.Socket;
        string process = c.Owners.Count > 0 ? c.Owners[0].Name : "unowned";
        string? unit = c.Owners.Count > 0 ? c.Owners[0].Unit : null;
        Key key;
        switch (_by)
        {
            case GroupBy.Process:
                key = new Key(process, unit, default, default, 0, default);
                break;
            case GroupBy.Unit:
                key = new Key("", unit, default, default, 0, default);
                break;
            default:
                if (s.State != SocketState.Established || c.Direction is not (Direction.Incoming or Direction.Outgoing)) return;
                key = new Key(process, unit, c.Direction, s.Remote.Address.Normalize(),
                    c.Direction == Direction.Incoming ? s.Local.Port : s.Remote.Port, s.Protocol,
                    c.Direction == Direction.Outgoing && c.ActualRemote is { } actual ? actual with { Address = actual.Address.Normalize() } : null);
                if (key.Actual is not null) _anyTranslated = true;
                break;
        }
        if (!_groups.TryGetValue(key, out var counts)) _groups[key] = counts = new ulong[_by == GroupBy.Peer ? 1 : 1 + Slots];
        counts[0]++;
        if (_by == GroupBy.Peer) return;
        int state = StateIndex(s);
        counts[1 + state]++;
        _statesSeen[state] = true;
    }

    private static int StateIndex(in SocketRecord s) => (s.Protocol == SocketProtocol.Tcp ? 0 : 16) + ((byte)s.State & 15);

    private static string StateName(int index) =>
        SocketStates.Name(index < 16 ? SocketProtocol.Tcp : SocketProtocol.Udp, (SocketState)(index & 15));

    private IEnumerable<KeyValuePair<Key, ulong[]>> Ordered() =>
        _groups.OrderByDescending(kv => kv.Value[0]).ThenBy(kv => kv.Key.Process, StringComparer.Ordinal)
            .ThenBy(kv => kv.Key.Unit, StringComparer.Ordinal).ThenBy(kv => kv.Key.Direction).ThenBy(kv => kv.Key.Port);

    /// <summary>The state columns: the states (TCP's, then UDP's, named <c>udp:STATE</c> so that
    /// UDP's ESTABLISHED is not TCP's) some grouped socket is in.</summary>
    private List<int> StateColumns()
    {
        var columns = new List<int>();
        for (int i = 0; i < _statesSeen.Length; i++)
            if (_statesSeen[i]) columns.Add(i);
        return columns;
    }

    private static string ColumnName(int index) => index < 16 ? StateName(index) : "udp:" + StateName(index);

    public void WriteTable(BufferedUtf8Output output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_by == GroupBy.Peer)
        {
            // The actual destination's column only when some connection was translated: the
            // table stays as it was without --conntrack.
            string[] peerHeader = ["Direction", "Netid", "Peer", "Port", "Actual", "Connections", "Process", "Unit"];
            bool[] peerNumeric = [false, false, false, true, false, true, false, false];
            const int ActualColumn = 4;
            var rows = _anyTranslated ? new AlignedRows(peerHeader, peerNumeric)
                : new AlignedRows([.. peerHeader[..ActualColumn], .. peerHeader[(ActualColumn + 1)..]],
                    [.. peerNumeric[..ActualColumn], .. peerNumeric[(ActualColumn + 1)..]]);
            foreach (var (key, counts) in Ordered())
            {
                string[] row =
                [
                    Directions.Name(key.Direction), key.Protocol == SocketProtocol.Tcp ? "tcp" : "udp", key.Peer.ToString(),
                    ConnectionsSummary.Number(key.Port), key.Actual is { } actual ? actual.ToString() : "-",
                    ConnectionsSummary.Number(counts[0]), ConnectionsSummary.Printable(key.Process), key.Unit ?? "-",
                ];
                rows.Add(_anyTranslated ? row : [.. row[..ActualColumn], .. row[(ActualColumn + 1)..]]);
            }
            rows.Write(output);
            return;
        }
        var states = StateColumns();
        var keys = _by == GroupBy.Process ? new[] { "Process", "Unit" } : ["Unit"];
        var header = keys.Concat(["Sockets"]).Concat(states.Select(ColumnName)).ToArray();
        var numeric = header.Select((_, i) => i >= keys.Length).ToArray();
        var table = new AlignedRows(header, numeric);
        foreach (var (key, counts) in Ordered())
        {
            var row = new List<string>(header.Length);
            if (_by == GroupBy.Process) row.Add(ConnectionsSummary.Printable(key.Process));
            row.Add(key.Unit ?? "-");
            row.Add(ConnectionsSummary.Number(counts[0]));
            foreach (var s in states) row.Add(ConnectionsSummary.Number(counts[1 + s]));
            table.Add([.. row]);
        }
        table.Write(output);
    }

    public void WriteJson(BufferedUtf8Output output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartArray();
        var states = StateColumns();
        foreach (var (key, counts) in Ordered())
        {
            json.WriteStartObject();
            if (_by == GroupBy.Peer)
            {
                json.WriteString("direction", Directions.Name(key.Direction));
                json.WriteString("protocol", key.Protocol == SocketProtocol.Tcp ? "tcp" : "udp");
                json.WriteString("peer_address", key.Peer.ToString());
                json.WriteNumber("port", key.Port);
                if (key.Actual is { } actual)
                {
                    json.WriteString("actual_peer_address", actual.Address.ToString());
                    json.WriteNumber("actual_port", actual.Port);
                }
                else
                {
                    json.WriteNull("actual_peer_address");
                    json.WriteNull("actual_port");
                }
            }
            if (_by != GroupBy.Unit) json.WriteString("process", key.Process);
            if (key.Unit is null) json.WriteNull("unit");
            else json.WriteString("unit", key.Unit);
            json.WriteNumber(_by == GroupBy.Peer ? "connections" : "sockets", counts[0]);
            if (_by != GroupBy.Peer)
            {
                json.WriteStartArray("states");
                foreach (var s in states)
                {
                    if (counts[1 + s] == 0) continue;
                    json.WriteStartObject();
                    json.WriteString("protocol", s < 16 ? "tcp" : "udp");
                    json.WriteString("state", StateName(s));
                    json.WriteNumber("sockets", counts[1 + s]);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.Flush();
        output.WriteByte((byte)'\n');
    }
}
