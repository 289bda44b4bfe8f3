using ConnExporter.Kernel.Namespaces;
using ConnExporter.Kernel.Netlink;
using ConnExporter.Kernel.ProcFs;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Inventory;

/// <summary>
/// Reads one namespace other than the host's: its sockets and its interface table, through a
/// member process's procfs view or, when <see cref="NamespaceReadPath.Netlink"/> is chosen and
/// allowed, through sock_diag from inside it. One instance serves every namespace, one at a time.
/// </summary>
internal sealed class NamespaceSources : IDisposable
{
    private readonly string _procfsRoot;
    private readonly ILogger _logger;
    private readonly SockDiagSource? _netlink;
    private readonly NamespaceThread? _thread;
    private bool _warnedRefused;

    public NamespaceSources(string procfsRoot, NamespaceReadPath path, bool tcpInfo, ILogger logger)
    {
        _procfsRoot = procfsRoot;
        _logger = logger;
        if (path == NamespaceReadPath.Netlink)
        {
            _netlink = new SockDiagSource(tcpInfo);
            _thread = new NamespaceThread(Path.Combine(procfsRoot, "self/ns/net"));
        }
    }

    /// <summary>The source actually used now: netlink until setns is refused.</summary>
    public bool UsesNetlink => _thread is { Refused: null };

    /// <summary>
    /// Appends the namespace's sockets (and a tcp entry each when <paramref name="tcp"/> is given)
    /// and returns its interface table.
    /// </summary>
    /// <exception cref="NamespaceUnreachableException">Gone meanwhile (every member exited, the pin
    /// was removed), or it can only be entered and entering is refused.</exception>
    public (SourceReadResult Read, InterfaceTable Interfaces) Read(
        DiscoveredNamespace ns, SocketKinds kinds, List<SocketRecord> sink, List<TcpHealth?>? tcp)
    {
        if (UsesNetlink)
        {
            try
            {
                return _thread!.Run(EntryPath(ns), () =>
                {
                    var read = _netlink!.Read(ProcNetSockStat.PresentKinds("/proc/thread-self/net", kinds), sink, tcp);
                    // Inside the namespace: /proc/thread-self/net and ioctls on a socket made here
                    // both describe it.
                    return (read, InterfaceTable.FromKernelFiles());
                });
            }
            catch (NamespaceUnreachableException e) when (e.IsRefusal)
            {
                if (!_warnedRefused)
                {
                    _warnedRefused = true;
                    _logger.LogWarning("{Reason}", e.Message);
                }
                sink.Clear();
                tcp?.Clear();
            }
        }
        return ReadThroughMembers(ns, kinds, sink, tcp);
    }

    /// <summary>A pin when there is one (it cannot exit), else a member's ns link.</summary>
    private string EntryPath(DiscoveredNamespace ns) =>
        ns.PinnedPath ?? (ns.Members.Count > 0
            ? Path.Combine(_procfsRoot, ns.Members[0].ToString(System.Globalization.CultureInfo.InvariantCulture), "ns/net")
            : throw new NamespaceUnreachableException($"network namespace {ns.Inode} has neither a process nor a pin", refused: false));

    /// <summary>Each member in turn until one answers: members exit, the namespace may outlive some.</summary>
    private (SourceReadResult, InterfaceTable) ReadThroughMembers(
        DiscoveredNamespace ns, SocketKinds kinds, List<SocketRecord> sink, List<TcpHealth?>? tcp)
    {
        if (ns.Members.Count == 0)
        {
            throw new NamespaceUnreachableException(
                $"network namespace {ns.Inode} ({ns.PinnedPath}) has no process: only --collector.netns.read=netlink (CAP_SYS_ADMIN) can enter it",
                refused: true);
        }
        foreach (int pid in ns.Members)
        {
            string net = Path.Combine(_procfsRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "net");
            int start = sink.Count;
            try
            {
                var read = new ProcNetSource(net).Read(ProcNetSockStat.PresentKinds(net, kinds), sink, tcp);
                var interfaces = InterfaceTable.FromProcNet(net);
                // The files are read through the pid's path: if the process exited or moved to
                // another namespace meanwhile, what was read may belong to no namespace or the
                // wrong one. Its ns link still naming this namespace afterwards proves it did not.
                if (StillIn(pid, ns.Inode)) return (read, interfaces);
            }
            catch (Exception e) when (e is SocketSourceUnavailableException or IOException or UnauthorizedAccessException)
            {
                // This member went away mid-read: try the next.
            }
            sink.RemoveRange(start, sink.Count - start);
            if (tcp is not null) tcp.RemoveRange(start, tcp.Count - start);
        }
        throw new NamespaceUnreachableException($"network namespace {ns.Inode}: every member process exited during the read", refused: false);
    }

    private bool StillIn(int pid, ulong inode)
    {
        var link = Path.Combine(_procfsRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "ns/net");
        Span<byte> path = stackalloc byte[ProcFile.NulTerminatedLength(link)];
        Span<byte> target = stackalloc byte[64];
        return ProcFile.TryReadLink(Interop.AtFdCwd, ProcFile.NulTerminated(link, path), target, out int n, out _)
            && NamespaceLink.TryParseNet(target[..n], out ulong now) && now == inode;
    }

    public void Dispose() => _thread?.Dispose();
}
