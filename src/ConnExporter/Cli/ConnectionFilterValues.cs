namespace ConnExporter.Cli;

/// <summary>
/// What a user asked the connections listing to show, as typed (command-line flags or query
/// parameters of the same names): <see cref="ConnectionFilter.Parse"/> validates it.
/// </summary>
/// <param name="Protocol"><c>tcp</c> or <c>udp</c>; null for both.</param>
/// <param name="States">Kernel state names (any of them matches); empty for every state.</param>
/// <param name="Port">A local or remote port, as text.</param>
/// <param name="Process">An owning process's name (<c>comm</c>) or pid.</param>
/// <param name="Unit">An owning process's systemd unit; <c>.service</c> may be left out.</param>
/// <param name="Interface">The socket's interface; wildcard binds (<c>any</c>) belong to every interface.</param>
/// <param name="Listening">Only listening TCP and unconnected (bound) UDP sockets, as <c>ss -l</c>.</param>
/// <param name="Container">A container's name, id or id prefix.</param>
/// <param name="Netns"><c>host</c>, <c>all</c> (null means this), a namespace inode, or a container name or id.</param>
public sealed record ConnectionFilterValues(
    string? Protocol = null,
    IReadOnlyList<string>? States = null,
    string? Port = null,
    string? Process = null,
    string? Unit = null,
    string? Interface = null,
    bool Listening = false,
    string? Container = null,
    string? Netns = null);
