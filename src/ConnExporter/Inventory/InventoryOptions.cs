namespace ConnExporter.Inventory;

/// <summary>How snapshots are taken; built from the command line.</summary>
/// <param name="Source"><c>netlink</c> (default) or <c>procfs</c>.</param>
/// <param name="ProcfsRoot">The procfs mount (<c>--path.procfs</c>).</param>
/// <param name="ResolveOwners">Walk /proc/&lt;pid&gt;/fd to find each socket's processes.</param>
/// <param name="WatchInterfaces">Reload the interface table when addresses change (daemon);
/// a one-shot command loads it once.</param>
/// <param name="TcpInfo">Ask the netlink source for struct tcp_info of TCP sockets. It triples
/// the bytes the kernel copies per socket, so the exporter asks only when a view reads it.</param>
/// <param name="Namespaces">Which network namespaces are read; null is the host's alone.</param>
/// <param name="NamespaceRead">How namespaces other than the host's are read.</param>
/// <param name="Rootfs">The node's root (<c>--path.rootfs</c>): namespace pins and the container
/// runtimes' and kubelet's files are looked up under it.</param>
/// <param name="Conntrack">Read the conntrack table (ctnetlink, needs CAP_NET_ADMIN) to find the
/// real destination of destination-NATed connections (<see cref="Connection.ActualRemote"/>).</param>
/// <param name="ListeningOnly">Only listening TCP and unconnected UDP sockets are wanted (the
/// command's <c>--listening</c>): the netlink source asks the kernel for those states alone.</param>
/// <param name="SingleCollection">Only one snapshot will be taken (the connections command):
/// what later collections would reuse (the owners' fd-table cache, the socket-key set) is let go
/// as soon as this one is done with it, instead of adding to its peak memory.</param>
/// <param name="KernelOwnerIterator">Find the owners' socket descriptors with the kernel's
/// task/file BPF iterator when it loads (CAP_BPF and CAP_PERFMON, kernel BTF), in one read
/// instead of a readlinkat per descriptor; the /proc walk otherwise. For a single collection: the
/// iterator re-reads every descriptor each time, where the walk's cache makes later walks cheap.</param>
public sealed record InventoryOptions(
    string Source = SocketSources.Netlink,
    string ProcfsRoot = "/proc",
    SocketKinds Kinds = SocketKinds.All,
    bool ResolveOwners = true,
    bool WatchInterfaces = false,
    bool TcpInfo = true,
    NamespaceSelection? Namespaces = null,
    NamespaceReadPath NamespaceRead = NamespaceReadPath.Procfs,
    string Rootfs = "/",
    bool Conntrack = false,
    bool SingleCollection = false,
    bool ListeningOnly = false,
    bool KernelOwnerIterator = false)
{
    public NamespaceSelection NamespaceSelection => Namespaces ?? NamespaceSelection.HostOnly;
}

public static class SocketSources
{
    public const string Netlink = "netlink";
    public const string Procfs = "procfs";

    public static readonly string[] Names = [Netlink, Procfs];
}
