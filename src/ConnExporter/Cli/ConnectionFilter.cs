using ConnExporter.Inventory;

namespace ConnExporter.Cli;

/// <summary>The <c>--protocol</c>, <c>--state</c> and <c>--port</c> filters of the connections command.</summary>
public sealed class ConnectionFilter
{
    private readonly SocketProtocol? _protocol;
    private readonly HashSet<(SocketProtocol?, SocketState)> _states = [];
    private readonly int? _port;

    public ConnectionFilter(string? protocol, IReadOnlyList<string> states, int? port)
    {
        _protocol = protocol switch
        {
            null => null,
            "tcp" => SocketProtocol.Tcp,
            "udp" => SocketProtocol.Udp,
            _ => throw new CommandLineException($"invalid value '{protocol}' for flag '--protocol': expected tcp or udp"),
        };
        foreach (var name in states)
        {
            if (!SocketStates.TryParse(name, out var state))
                throw new CommandLineException(
                    $"invalid value '{name}' for flag '--state': expected a kernel state name such as ESTABLISHED, LISTEN, TIME_WAIT or UNCONN");
            // UNCONN only exists for UDP; CLOSE only for TCP; the same kernel number backs both.
            SocketProtocol? only = string.Equals(name, "UNCONN", StringComparison.OrdinalIgnoreCase) ? SocketProtocol.Udp
                : state == SocketState.Close ? SocketProtocol.Tcp : null;
            _states.Add((only, state));
        }
        _port = port;
    }

    public SocketKinds Kinds => _protocol switch
    {
        SocketProtocol.Tcp => SocketKinds.Tcp,
        SocketProtocol.Udp => SocketKinds.Udp,
        _ => SocketKinds.All,
    };

    public bool Matches(in Connection c)
    {
        var s = c.Socket;
        if (_protocol is { } p && s.Protocol != p) return false;
        if (_port is { } port && s.Local.Port != port && s.Remote.Port != port) return false;
        if (_states.Count == 0) return true;
        return _states.Contains((null, s.State)) || _states.Contains((s.Protocol, s.State));
    }
}
