namespace ConnExporter.Inventory;

/// <summary>How the sockets of namespaces other than the host's are read (<c>--collector.netns.read</c>).</summary>
public enum NamespaceReadPath
{
    /// <summary><c>/proc/&lt;pid&gt;/net/{tcp,tcp6,udp,udp6}</c> of a member process: no capability
    /// beyond the ptrace access that finding the namespaces takes, but no tcp_info, queue limits or
    /// bound devices, and a namespace no process holds (only pinned) cannot be read.</summary>
    Procfs,

    /// <summary>sock_diag from a thread that entered the namespace with setns(2): everything the
    /// host's netlink inventory has, pinned namespaces included, at the price of CAP_SYS_ADMIN.</summary>
    Netlink,
}
