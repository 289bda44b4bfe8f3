using System.Globalization;
using ConnExporter.Cli;
using ConnExporter.Inventory;
using Microsoft.AspNetCore.Http;

namespace ConnExporter.Web;

/// <summary>
/// The query string of <c>/api/v1/connections</c>: the <c>connections</c> command's filters
/// under the flags' names (<c>protocol</c>, <c>state</c> (repeatable), <c>port</c>,
/// <c>process</c>, <c>unit</c>, <c>interface</c>, <c>listening</c>, <c>container</c>,
/// <c>netns</c>). An unknown parameter, a repeated single one or a bad value is refused with
/// one line naming it (<see cref="QueryException"/>), never silently ignored: a typo must not
/// return every socket as if it had matched.
/// </summary>
public sealed class ConnectionsQuery
{
    private static readonly string[] Known = ["protocol", "state", "port", "process", "unit", "interface", "listening", "container", "netns"];

    private readonly ConnectionFilter _basic;
    private readonly NamespaceSelection _netns;
    private readonly string? _process;
    private readonly int? _pid;
    private readonly string? _unit;
    private readonly string? _unitService;
    private readonly string? _interface;
    private readonly bool _listening;
    private readonly string? _container;

    private ConnectionsQuery(IQueryCollection query)
    {
        foreach (var key in query.Keys)
        {
            if (Array.IndexOf(Known, key) < 0)
                throw new QueryException($"unknown query parameter '{key}': expected one of {string.Join(", ", Known)}");
            if (key != "state" && query[key].Count > 1)
                throw new QueryException($"query parameter '{key}' given {query[key].Count} times: it takes one value");
        }
        string? port = Single(query, "port");
        int? portNumber = null;
        if (port is not null)
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p > 65535)
                throw new QueryException($"invalid value '{port}' for 'port': expected a port number from 0 to 65535");
            portNumber = p;
        }
        try
        {
            _basic = new ConnectionFilter(Single(query, "protocol"), [.. query["state"].Select(s => s ?? "")], portNumber);
        }
        catch (CommandLineException e)
        {
            // The command's wording names the flag ("--state"); here it is a query parameter.
            throw new QueryException(e.Message.Replace("flag '--", "'", StringComparison.Ordinal));
        }
        var netns = Single(query, "netns");
        try
        {
            _netns = netns is null ? NamespaceSelection.All : NamespaceSelection.Parse(netns);
        }
        catch (FormatException e)
        {
            throw new QueryException($"invalid value '{netns}' for 'netns': {e.Message}");
        }
        _process = NonEmpty(query, "process", "expected a process name (as ps -o comm shows it) or a pid");
        if (_process is not null && int.TryParse(_process, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) _pid = pid;
        _unit = NonEmpty(query, "unit", "expected a systemd unit name such as sshd.service or session-1.scope");
        // As systemctl does, a name without a suffix means the service.
        _unitService = _unit is null || _unit.Contains('.', StringComparison.Ordinal) ? null : _unit + ".service";
        _interface = NonEmpty(query, "interface", "expected an interface name such as lo or eth0, any or unknown");
        _container = NonEmpty(query, "container", "expected a container name, id or id prefix");
        _listening = Single(query, "listening") switch
        {
            null or "true" or "1" or "" => query.ContainsKey("listening"),
            "false" or "0" => false,
            var v => throw new QueryException($"invalid value '{v}' for 'listening': expected true or false"),
        };
    }

    /// <summary>Parses the request's query string.</summary>
    /// <exception cref="QueryException">A parameter that cannot be used, with what it takes.</exception>
    public static ConnectionsQuery Parse(IQueryCollection query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return new ConnectionsQuery(query);
    }

    /// <summary>The parameter that needs socket owners (process, unit), null when none does.</summary>
    public string? OwnersParameter => _process is not null ? "process" : _unit is not null ? "unit" : null;

    public bool Matches(in Connection c)
    {
        if (!_basic.Matches(c)) return false;
        var s = c.Socket;
        if (_listening && !(s.Protocol == SocketProtocol.Tcp ? s.State == SocketState.Listen : s.State == SocketState.Close)) return false;
        // A wildcard bind accepts on every interface, so it is shown for any named one.
        if (_interface is { } iface && c.Interface != iface && !(c.Interface == InterfaceTable.Any && iface != InterfaceTable.Unknown)) return false;
        if (_process is not null || _unit is not null || _container is not null)
        {
            // Loops, not LINQ: this runs once per socket of the snapshot, without allocating.
            bool process = _process is null, unit = _unit is null, container = _container is null;
            if (!container && c.Container is { } id
                && (id.Name == _container || id.Id.StartsWith(_container!, StringComparison.OrdinalIgnoreCase)))
                container = true;
            var owners = c.Owners;
            for (int i = 0; i < owners.Count; i++)
            {
                var o = owners[i];
                process |= o.Pid == _pid || o.Name == _process;
                unit |= o.Unit is { } u && (u == _unit || u == _unitService);
                container |= o.Container is { } cid && cid.StartsWith(_container!, StringComparison.OrdinalIgnoreCase);
            }
            if (!(process && unit && container)) return false;
        }
        return _netns.Matches(c.Netns, c.Container);
    }

    private static string? Single(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) ? values.ToString() : null;

    private static string? NonEmpty(IQueryCollection query, string name, string expected)
    {
        var value = Single(query, name);
        if (value is { Length: 0 }) throw new QueryException($"invalid value '' for '{name}': {expected}");
        return value;
    }
}
