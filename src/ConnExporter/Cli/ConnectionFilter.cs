using System.Globalization;
using ConnExporter.Inventory;

namespace ConnExporter.Cli;

/// <summary>
/// Which connections a listing shows: protocol, states, port, owning process or unit,
/// interface, listening sockets only, container and network namespace. Built once from
/// <see cref="ConnectionFilterValues"/> (every value checked there), then asked per connection
/// without allocating.
/// </summary>
public sealed class ConnectionFilter
{
    private readonly SocketProtocol? _protocol;
    private readonly HashSet<(SocketProtocol?, SocketState)> _states = [];
    private readonly int? _port;
    private readonly string? _process;
    private readonly int? _pid;
    private readonly string? _unit;
    private readonly string? _unitService;
    private readonly string? _interface;
    private readonly bool _listening;
    private readonly string? _container;

    private ConnectionFilter(ConnectionFilterValues v)
    {
        _protocol = v.Protocol switch
        {
            null or "" => null,
            "tcp" => SocketProtocol.Tcp,
            "udp" => SocketProtocol.Udp,
            _ => throw new FilterValueException("protocol", v.Protocol, "expected tcp or udp"),
        };
        foreach (var name in v.States ?? [])
        {
            if (!SocketStates.TryParse(name, out var state))
                throw new FilterValueException("state", name,
                    "expected a kernel state name such as ESTABLISHED, LISTEN, TIME_WAIT or UNCONN");
            // UNCONN only exists for UDP; CLOSE only for TCP; the same kernel number backs both.
            SocketProtocol? only = string.Equals(name, "UNCONN", StringComparison.OrdinalIgnoreCase) ? SocketProtocol.Udp
                : state == SocketState.Close ? SocketProtocol.Tcp : null;
            _states.Add((only, state));
        }
        if (v.Port is { } port)
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p > 65535)
                throw new FilterValueException("port", port, "expected a port number from 0 to 65535");
            _port = p;
        }
        if (v.Process is { } process)
        {
            if (process.Length == 0) throw new FilterValueException("process", process, "expected a process name (as ps -o comm shows it) or a pid");
            _process = process;
            if (int.TryParse(process, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) _pid = pid;
        }
        if (v.Unit is { } unit)
        {
            if (unit.Length == 0 || unit.Contains('/', StringComparison.Ordinal))
                throw new FilterValueException("unit", unit, "expected a systemd unit name such as sshd.service or session-1.scope");
            _unit = unit;
            _unitService = unit.Contains('.', StringComparison.Ordinal) ? null : unit + ".service";
        }
        if (v.Interface is { } iface)
        {
            // The kernel's rules for a device name (dev_valid_name): 1-15 bytes, no '/', no space, not . or ..
            if (iface.Length is 0 or > 15 || iface is "." or ".." || iface.Any(ch => ch == '/' || ch == ':' || char.IsWhiteSpace(ch)))
                throw new FilterValueException("interface", iface, "expected an interface name such as lo or eth0 (at most 15 characters), any or unknown");
            _interface = iface;
        }
        _listening = v.Listening;
        if (v.Container is { } container)
        {
            if (container.Length == 0) throw new FilterValueException("container", container, "expected a container name, id or id prefix");
            _container = container;
        }
        try
        {
            Namespaces = v.Netns is null ? NamespaceSelection.All : NamespaceSelection.Parse(v.Netns);
        }
        catch (FormatException e)
        {
            throw new FilterValueException("netns", v.Netns!, e.Message);
        }
    }

    /// <summary>Validates <paramref name="values"/> and builds the filter.</summary>
    /// <exception cref="FilterValueException">A value that cannot be used, with what it takes.</exception>
    public static ConnectionFilter Parse(ConnectionFilterValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new ConnectionFilter(values);
    }

    /// <summary>Every connection.</summary>
    public static ConnectionFilter None { get; } = new(new ConnectionFilterValues());

    /// <summary>What the source must read: the protocol asked for, or both.</summary>
    public SocketKinds Kinds => _protocol switch
    {
        SocketProtocol.Tcp => SocketKinds.Tcp,
        SocketProtocol.Udp => SocketKinds.Udp,
        _ => SocketKinds.All,
    };

    /// <summary>The namespaces to read and show (<see cref="InventoryOptions.Namespaces"/>).</summary>
    public NamespaceSelection Namespaces { get; }

    /// <summary>Whether the filter looks at owners (process, unit): a snapshot without them matches nothing.</summary>
    public bool NeedsOwners => _process is not null || _unit is not null;

    /// <summary>The parameter that needs owners, for an error when they are off.</summary>
    public string? OwnersParameter => _process is not null ? "process" : _unit is not null ? "unit" : null;

    public bool Matches(in Connection c)
    {
        var s = c.Socket;
        if (_protocol is { } p && s.Protocol != p) return false;
        if (_port is { } port && s.Local.Port != port && s.Remote.Port != port) return false;
        if (_listening && !IsListening(s)) return false;
        if (_states.Count > 0 && !_states.Contains((null, s.State)) && !_states.Contains((s.Protocol, s.State))) return false;
        if (_interface is { } iface && !MatchesInterface(c.Interface, iface)) return false;
        if (_process is not null && !AnyOwner(c, static (o, f) => f._pid == o.Pid || string.Equals(o.Name, f._process, StringComparison.Ordinal))) return false;
        if (_unit is not null && !AnyOwner(c, static (o, f) => o.Unit is { } u && (u == f._unit || u == f._unitService))) return false;
        if (_container is { } container && !MatchesContainer(c, container)) return false;
        return Namespaces.Matches(c.Netns, c.Container);
    }

    /// <summary>What <c>ss -l</c> lists: listening TCP, and UDP sockets that are bound but not connected.</summary>
    public static bool IsListening(in SocketRecord s) =>
        s.Protocol == SocketProtocol.Tcp ? s.State == SocketState.Listen : s.State == SocketState.Close;

    // A wildcard bind accepts on every interface, so it is shown for any named one.
    private static bool MatchesInterface(string actual, string wanted) =>
        string.Equals(actual, wanted, StringComparison.Ordinal)
        || (actual == InterfaceTable.Any && wanted != InterfaceTable.Unknown);

    private bool AnyOwner(in Connection c, Func<ProcessInfo, ConnectionFilter, bool> test)
    {
        var owners = c.Owners;
        for (int i = 0; i < owners.Count; i++)
            if (test(owners[i], this)) return true;
        return false;
    }

    private static bool MatchesContainer(in Connection c, string wanted)
    {
        if (c.Container is { } id
            && (string.Equals(id.Name, wanted, StringComparison.Ordinal) || id.Id.StartsWith(wanted, StringComparison.OrdinalIgnoreCase)))
            return true;
        var owners = c.Owners;
        for (int i = 0; i < owners.Count; i++)
            if (owners[i].Container is { } cid && cid.StartsWith(wanted, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
