namespace ConnExporter.Inventory;

/// <summary>How snapshots are taken; built from the command line.</summary>
/// <param name="Source"><c>netlink</c> (default) or <c>procfs</c>.</param>
/// <param name="ProcfsRoot">The procfs mount (<c>--path.procfs</c>).</param>
/// <param name="ResolveOwners">Walk /proc/&lt;pid&gt;/fd to find each socket's processes.</param>
/// <param name="WatchInterfaces">Reload the interface table when addresses change (daemon);
/// a one-shot command loads it once.</param>
public sealed record InventoryOptions(
    string Source = SocketSources.Netlink,
    string ProcfsRoot = "/proc",
    SocketKinds Kinds = SocketKinds.All,
    bool ResolveOwners = true,
    bool WatchInterfaces = false);

public static class SocketSources
{
    public const string Netlink = "netlink";
    public const string Procfs = "procfs";

    public static readonly string[] Names = [Netlink, Procfs];
}
