using System.Runtime.InteropServices;
using ConnExporter.Kernel.Netlink;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Inventory;

/// <summary>
/// Finds the real destination of sockets whose connection was destination-NATed (a Kubernetes
/// Service VIP, a Docker published port): the socket shows the virtual address it connected to,
/// the conntrack entry whose original tuple is that socket's (local → virtual) carries the real
/// destination as its reply tuple's source. One dump of the translated entries per collection,
/// in the calling thread's namespace (the host's), into a table reused across collections.
/// </summary>
/// <remarks>Without CAP_NET_ADMIN ctnetlink refuses: the sockets keep no actual destination and
/// one warning says why, once for the collector's lifetime, however many collections follow.</remarks>
internal sealed class ConntrackDestinations
{
    private readonly ConntrackSource _source = new();
    private readonly Dictionary<ConntrackTuple, InetEndpoint> _translated = [];
    private readonly ILogger _logger;
    private bool _warned;
    private long _lastFailureWarning;
    private int _suppressedFailures;

    /// <summary>A read that fails unexpectedly (ENOMEM, EMFILE...) is said at most this often.</summary>
    internal static readonly TimeSpan FailureWarningInterval = TimeSpan.FromMinutes(1);

    /// <param name="sayRefused">False for a second reader beside the inventory's (the eBPF traffic
    /// counters'), which says it already: one warning per exporter, not one per reader.</param>
    public ConntrackDestinations(ILogger logger, bool sayRefused = true)
    {
        _logger = logger;
        _warned = !sayRefused;
    }

    /// <summary>The last read's outcome, for self-metrics.</summary>
    public ConntrackRead LastRead { get; private set; }

    /// <summary>
    /// Reads the table and records, for each connected socket of <paramref name="sockets"/> that
    /// has a translated entry, its real destination under its index plus <paramref name="offset"/>.
    /// </summary>
    public void Resolve(ReadOnlySpan<SocketRecord> sockets, int offset, Dictionary<int, InetEndpoint> actual)
    {
        if (!Refresh()) return;
        if (_translated.Count > 0)
        {
            for (int i = 0; i < sockets.Length; i++)
            {
                ref readonly var s = ref sockets[i];
                if (s.State == SocketState.Listen || s.Remote.Port == 0) continue;
                if (_translated.TryGetValue(ConntrackTuple.OfSocket(s), out var real)) actual[offset + i] = real;
            }
        }
        // A table sized for a burst of NAT entries must not keep that memory afterwards.
        if (_translated.Count < 1024 && _translated.EnsureCapacity(0) > 4096) _translated.TrimExcess();
    }

    /// <summary>
    /// Reads the table anew for <see cref="TryGetActual"/>; false when it could not be read
    /// (refused, absent, failed: said in the log as <see cref="Resolve"/> says it).
    /// </summary>
    public bool Refresh()
    {
        ConntrackRead read;
        try
        {
            read = _source.Read(_translated);
        }
        catch (NetlinkException e)
        {
            // A failed read costs this collection its actual destinations, never the snapshot.
            LastRead = new ConntrackRead(ConntrackOutcome.Failed, e.Errno, 0, 0, null);
            WarnFailed(e);
            return false;
        }
        if (LastRead.Outcome == ConntrackOutcome.Failed && read.Outcome == ConntrackOutcome.Read)
            _logger.LogInformation("conntrack read again after failing");
        LastRead = read;
        if (read.Outcome != ConntrackOutcome.Read)
        {
            WarnOnce(read);
            return false;
        }
        if (read.Malformed > 0)
            _logger.LogWarning("skipped {Count} malformed conntrack entries: {Problem}", read.Malformed, read.FirstProblem);
        return true;
    }

    /// <summary>The real destination of the connection whose original tuple is <paramref name="tuple"/>,
    /// as of the last <see cref="Refresh"/>; false when it was not translated.</summary>
    public bool TryGetActual(in ConntrackTuple tuple, out InetEndpoint actual) => _translated.TryGetValue(tuple, out actual);

    /// <summary>
    /// An unexpected failure may repeat every collection (out of descriptors or memory): said
    /// once a minute with how many more failed in between, and once when reads work again.
    /// </summary>
    private void WarnFailed(NetlinkException e)
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_lastFailureWarning != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(_lastFailureWarning, now) < FailureWarningInterval)
        {
            _suppressedFailures++;
            return;
        }
        _logger.LogWarning("conntrack not read: {Reason}; actual destinations are missing until it works again. Said at most once a minute; {Suppressed} more reads failed since the last warning",
            e.Message, _suppressedFailures);
        _lastFailureWarning = now;
        _suppressedFailures = 0;
    }

    private void WarnOnce(ConntrackRead read)
    {
        if (_warned) return;
        _warned = true;
        if (read.Outcome == ConntrackOutcome.Refused)
        {
            _logger.LogWarning("conntrack: reading the connection tracking table was refused ({Errno}): actual_peer_address, actual_port (conn_peers, conn_tcp_*_bytes_total...) and actual_remote_* stay empty. Grant CAP_NET_ADMIN (it is what ctnetlink requires) or turn conntrack reading off (--no-collector.conntrack, or no --conntrack)",
                (Interop.Errno)read.Errno);
        }
        else
        {
            _logger.LogInformation("conntrack: the kernel has no ctnetlink ({Errno}), so no connection is reported as translated",
                (Interop.Errno)read.Errno);
        }
    }
}
