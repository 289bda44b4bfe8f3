using ConnExporter.Cli;
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

    private ConnectionsQuery(IQueryCollection query)
    {
        foreach (var key in query.Keys)
        {
            if (Array.IndexOf(Known, key) < 0)
                throw new QueryException($"unknown query parameter '{key}': expected one of {string.Join(", ", Known)}");
            if (key != "state" && query[key].Count > 1)
                throw new QueryException($"query parameter '{key}' given {query[key].Count} times: it takes one value");
        }
        // ?listening alone (as a flag), ?listening=true or =1 turn it on.
        bool listening = Single(query, "listening") switch
        {
            null => false,
            "" or "true" or "1" => true,
            "false" or "0" => false,
            var v => throw new QueryException($"invalid value '{v}' for 'listening': expected true or false"),
        };
        try
        {
            Filter = ConnectionFilter.Parse(new ConnectionFilterValues(
                Protocol: Single(query, "protocol"),
                States: [.. query["state"].Select(s => s ?? "")],
                Port: Single(query, "port"),
                Process: Single(query, "process"),
                Unit: Single(query, "unit"),
                Interface: Single(query, "interface"),
                Listening: listening,
                Container: Single(query, "container"),
                Netns: Single(query, "netns")));
        }
        catch (FilterValueException e)
        {
            // The filter's own wording ("invalid value 'x' for 'state': expected ..."), which
            // names the parameter as the query string spells it.
            throw new QueryException(e.Message);
        }
    }

    /// <summary>The command's filter, built from the parameters.</summary>
    public ConnectionFilter Filter { get; }

    /// <summary>The parameter that needs socket owners (process, unit), null when none does.</summary>
    public string? OwnersParameter => Filter.OwnersParameter;

    /// <summary>Parses the request's query string.</summary>
    /// <exception cref="QueryException">A parameter that cannot be used, with what it takes.</exception>
    public static ConnectionsQuery Parse(IQueryCollection query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return new ConnectionsQuery(query);
    }

    private static string? Single(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) ? values.ToString() : null;
}
