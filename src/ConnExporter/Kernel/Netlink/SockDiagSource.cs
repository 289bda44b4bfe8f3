using ConnExporter.Inventory;

namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// The default socket source: NETLINK_SOCK_DIAG dumps in the network namespace of the calling
/// thread. TCP of both families is one legacy <c>TCPDIAG_GETSOCK</c> dump (one walk of the
/// kernel's socket tables instead of two); any other kind, or TCP when the kernel refuses the
/// legacy request, is one <c>SOCK_DIAG_BY_FAMILY</c> dump per family × protocol. TCP dumps ask
/// for struct tcp_info when told to, and hand it to the caller's tcp list when it passes one.
/// Records are appended as the kernel returns them, duplicates included (a dump is not atomic;
/// the snapshot deduplicates).
/// </summary>
/// <remarks>Reusable across reads: each dump opens its own short-lived socket (so it belongs
/// to the caller's namespace and an abandoned dump cannot leak into the next), while the
/// receive buffer is allocated once. Reads are serialised. A source made with
/// <c>concurrentFamilies</c> instead runs one dump per family × protocol, IPv4 TCP on the calling
/// thread and the others on a second one, for a caller with a core to spare.</remarks>
public sealed class SockDiagSource : ISocketSource
{
    private const string Fix = "allow AF_NETLINK or use --collector.source=procfs";

    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(NetlinkSocket.MinimumBufferSize);
    private byte[]? _secondBuffer;
    private readonly Lock _gate = new();
    private readonly bool _concurrentFamilies;
    private readonly byte _tcpExtensions;
    private readonly uint _tcpStates;
    private readonly uint _udpStates;
    private uint _sequence;
    private bool _legacyRefused;

    /// <param name="tcpInfo">Ask the kernel for struct tcp_info of every TCP socket
    /// (INET_DIAG_INFO): about three times the bytes per socket, so only when a view reads it.
    /// Without it, a tcp list passed to <see cref="Read"/> receives null for every socket.</param>
    /// <param name="listeningOnly">Ask the kernel for listening TCP and unconnected UDP sockets
    /// only (what <c>ss -l</c> shows): it then skips its established hash, the bulk of a dump.</param>
    /// <param name="concurrentFamilies">Dump IPv4 TCP on the calling thread while a second thread
    /// dumps the other kinds, each parsed as its batches arrive. Each family is then a walk of
    /// the socket hash of its own (more CPU in all than the one legacy dump of both TCP families),
    /// but the two walks and their copying overlap on two cores: the one-shot command takes it
    /// when no owners' walk needs the other core. Measured on a 2-core VM: the kernel's part of a
    /// dump of 10k sockets 10.2 ms as one legacy dump, 8.4 ms as two concurrent ones (16.4 one after
    /// the other); the whole command at 40k sockets 65 to 50 ms.</param>
    public SockDiagSource(bool tcpInfo = true, bool listeningOnly = false, bool concurrentFamilies = false)
    {
        _concurrentFamilies = concurrentFamilies;
        _tcpExtensions = tcpInfo ? InetDiagRequest.InfoExtension : (byte)0;
        _tcpStates = listeningOnly ? InetDiagRequest.ListenStates : InetDiagRequest.AllStates;
        _udpStates = listeningOnly ? InetDiagRequest.UnconnectedStates : InetDiagRequest.AllStates;
    }

    public string Name => "netlink";

    /// <summary>False once the kernel refused the legacy dump of both TCP families.</summary>
    internal bool TcpInOneDump => !_legacyRefused;

    /// <inheritdoc />
    /// <exception cref="SocketSourceUnavailableException">The netlink socket cannot be opened
    /// here (seccomp, RestrictAddressFamilies=, no sock_diag) or the kernel refuses IPv4 dumps;
    /// nothing of this read is left in <paramref name="sink"/> or <paramref name="tcp"/>.</exception>
    /// <exception cref="NetlinkException">An unexpected system call failure (ENOMEM, EMFILE, ...).</exception>
    public SourceReadResult Read(SocketKinds kinds, List<SocketRecord> sink, List<TcpHealth?>? tcp = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (_gate)
        {
            var start = new Mark(sink, tcp);
            try
            {
                var result = SourceReadResult.Clean;
                if (_concurrentFamilies && Concurrently(kinds) is { Length: > 1 } dumps)
                    return DumpConcurrently(dumps, sink, tcp);
                if ((kinds & SocketKinds.Tcp) == SocketKinds.Tcp && DumpTcpBothFamilies(sink, tcp) is { } both)
                {
                    result = both;
                }
                else
                {
                    if ((kinds & SocketKinds.Tcp4) != 0) result = result.Add(Dump(InetDiagRequest.AfInet, SocketProtocol.Tcp, sink, tcp));
                    if ((kinds & SocketKinds.Tcp6) != 0) result = result.Add(Dump(InetDiagRequest.AfInet6, SocketProtocol.Tcp, sink, tcp));
                }
                if ((kinds & SocketKinds.Udp4) != 0) result = result.Add(Dump(InetDiagRequest.AfInet, SocketProtocol.Udp, sink, tcp));
                if ((kinds & SocketKinds.Udp6) != 0) result = result.Add(Dump(InetDiagRequest.AfInet6, SocketProtocol.Udp, sink, tcp));
                return result;
            }
            catch (Exception e) when (e is SocketSourceUnavailableException or NetlinkException)
            {
                // A caller falling back to another source must not see half of this one.
                start.RemoveSince(sink, tcp);
                throw;
            }
        }
    }

    /// <summary>
    /// TCP of both families in one legacy dump; null when the kernel answered it with an error,
    /// its records removed again, so that the caller asks per family and the v2 dumps report
    /// (or survive) whatever the problem is.
    /// </summary>
    private SourceReadResult? DumpTcpBothFamilies(List<SocketRecord> sink, List<TcpHealth?>? tcp)
    {
        if (_legacyRefused) return null;
        uint sequence = Interlocked.Increment(ref _sequence);
        Span<byte> message = stackalloc byte[InetDiagLegacyRequest.MessageSize];
        new InetDiagLegacyRequest(_tcpExtensions, _tcpStates).Write(message, sequence);

        var start = new Mark(sink, tcp);
        var dump = new InetDiagDump(SocketProtocol.Tcp, sequence, InetDiagLegacyRequest.TcpDiagGetSock);
        using (var socket = OpenSocket())
            Exchange(socket, message, dump, sink, tcp);
        if (dump.Error == 0) return dump.Result;

        // Refused outright (no compat handler, EOPNOTSUPP; an older tcp_diag, EINVAL): never ask
        // again. Failed part-way: ask per family this time only.
        _legacyRefused |= sink.Count == start.Records;
        start.RemoveSince(sink, tcp);
        return null;
    }

    private SourceReadResult Dump(byte family, SocketProtocol protocol, List<SocketRecord> sink, List<TcpHealth?>? tcp) =>
        Dump(new PendingDump(family, protocol, null), sink, tcp);

    /// <summary>One per-family dump, on <paramref name="pending"/>'s socket when it has one (then
    /// disposed here), else on a socket of its own.</summary>
    private SourceReadResult Dump(PendingDump pending, List<SocketRecord> sink, List<TcpHealth?>? tcp)
    {
        var (family, protocol, socket) = pending;
        bool isTcp = protocol == SocketProtocol.Tcp;
        var request = new InetDiagRequest(
            family,
            isTcp ? InetDiagRequest.IpProtoTcp : InetDiagRequest.IpProtoUdp,
            isTcp ? _tcpExtensions : (byte)0,
            isTcp ? _tcpStates : _udpStates);
        uint sequence = Interlocked.Increment(ref _sequence);
        Span<byte> message = stackalloc byte[InetDiagRequest.MessageSize];
        request.Write(message, sequence);

        var dump = new InetDiagDump(protocol, sequence);
        using (socket ??= OpenSocket())
            Exchange(socket, message, dump, sink, tcp);
        if (dump.Error != 0) return Refused(family, protocol, -dump.Error).Add(dump.Result);
        return dump.Result;
    }

    /// <summary>Sends one dump request and feeds every reply batch to <paramref name="dump"/>.</summary>
    private static void Exchange(NetlinkSocket socket, ReadOnlySpan<byte> request, InetDiagDump dump, List<SocketRecord> sink, List<TcpHealth?>? tcp)
    {
        socket.Send(request);
        while (!dump.IsDone)
        {
            // Dump batches are produced synchronously (in sendto, then in each recv), so once a
            // malformed batch may have swallowed NLMSG_DONE, an empty queue means the dump is over.
            var batch = socket.Receive(dontWait: dump.LostMessages, out bool truncated);
            if (batch.IsEmpty) break;
            dump.Add(batch, truncated, sink, tcp);
        }
    }

    /// <summary>The per-family dumps <paramref name="kinds"/> asks for, in the order a sequential
    /// read appends them: TCP then UDP, IPv4 before IPv6 (sockets not opened yet).</summary>
    private static PendingDump[] Concurrently(SocketKinds kinds)
    {
        var dumps = new List<PendingDump>(4);
        if ((kinds & SocketKinds.Tcp4) != 0) dumps.Add(new(InetDiagRequest.AfInet, SocketProtocol.Tcp, null));
        if ((kinds & SocketKinds.Tcp6) != 0) dumps.Add(new(InetDiagRequest.AfInet6, SocketProtocol.Tcp, null));
        if ((kinds & SocketKinds.Udp4) != 0) dumps.Add(new(InetDiagRequest.AfInet, SocketProtocol.Udp, null));
        if ((kinds & SocketKinds.Udp6) != 0) dumps.Add(new(InetDiagRequest.AfInet6, SocketProtocol.Udp, null));
        return [.. dumps];
    }

    /// <summary>
    /// The first dump on the calling thread into <paramref name="sink"/>, the others in turn on a
    /// second thread into lists of their own, appended after it once both are done: the same
    /// records in the same order as the dumps one after another.
    /// </summary>
    private SourceReadResult DumpConcurrently(PendingDump[] dumps, List<SocketRecord> sink, List<TcpHealth?>? tcp)
    {
        // A netlink socket dumps the namespace of the thread that opened it: all of them are
        // opened here, so the second thread needs no namespace of its own.
        for (int i = 0; i < dumps.Length; i++)
        {
            try
            {
                var buffer = i == 0 ? _buffer : _secondBuffer ??= GC.AllocateUninitializedArray<byte>(NetlinkSocket.MinimumBufferSize);
                dumps[i] = dumps[i] with { Socket = OpenSocket(buffer) };
            }
            catch
            {
                foreach (var d in dumps) d.Socket?.Dispose();
                throw;
            }
        }
        // The caller sized the sink for the whole read (sockstat): the second thread's sockets are
        // usually about half of it, so its list starts there rather than growing from nothing.
        var others = new OtherFamilies(this, dumps, Math.Max(256, (sink.Capacity - sink.Count) / 2), tcp is not null);
        var thread = new Thread(others.Run, maxStackSize: 256 * 1024) { IsBackground = true, Name = "sock_diag" };
        SourceReadResult first;
        try
        {
            thread.Start();
            first = Dump(dumps[0], sink, tcp);
        }
        finally
        {
            // The second thread owns its sockets and buffer until it ends, whatever happened here.
            if (thread.ThreadState != ThreadState.Unstarted) thread.Join();
            else for (int i = 1; i < dumps.Length; i++) dumps[i].Socket?.Dispose();
        }
        others.Failure?.Throw();
        others.MoveInto(sink, tcp);
        // The second thread's lists held its half of the sockets (6 MB at 50k with tcp_info) and
        // are garbage now. Collected here, their memory is what the caller's next large arrays
        // (dedupe set, enrichment) reuse instead of adding to the peak (measured at 100k sockets,
        // JSON: 39.6 MB peak RSS without this, 31.9 for the one legacy dump). Few objects are
        // alive and the record lists hold no references, so the collection itself is quick.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
        return first.Add(others.Result);
    }

    /// <summary>The dumps after the first, run one after another on the second thread into lists of its own.</summary>
    private sealed class OtherFamilies(SockDiagSource source, PendingDump[] dumps, int expected, bool withTcp)
    {
        private List<SocketRecord>? _sink = new(expected);
        private List<TcpHealth?>? _tcp = withTcp ? new(expected) : null;

        public SourceReadResult Result { get; private set; }

        public System.Runtime.ExceptionServices.ExceptionDispatchInfo? Failure { get; private set; }

        public void Run()
        {
            int next = 1;
            try
            {
                for (; next < dumps.Length; next++)
                    Result = Result.Add(source.Dump(dumps[next], _sink!, _tcp));
            }
            catch (Exception e)
            {
                Failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
                for (next++; next < dumps.Length; next++) dumps[next].Socket?.Dispose();
            }
        }

        /// <summary>Appends what the second thread read and lets go of its lists.</summary>
        public void MoveInto(List<SocketRecord> sink, List<TcpHealth?>? tcp)
        {
            sink.AddRange(_sink!);
            if (_tcp is not null) tcp!.AddRange(_tcp);
            (_sink, _tcp) = (null, null);
        }
    }

    /// <summary>A dump to run: what it asks for, and the socket opened for it ahead (or null).</summary>
    private readonly record struct PendingDump(byte Family, SocketProtocol Protocol, NetlinkSocket? Socket);

    private NetlinkSocket OpenSocket() => OpenSocket(_buffer);

    /// <param name="buffer">Where its replies are received: the second thread's dumps use a buffer of their own.</param>
    private static NetlinkSocket OpenSocket(byte[] buffer)
    {
        try
        {
            return NetlinkSocket.Open(Interop.NETLINK_SOCK_DIAG, buffer);
        }
        catch (NetlinkException e) when (IsSocketRefusal((Interop.Errno)e.Errno))
        {
            throw SocketRefused(e);
        }
    }

    /// <summary>socket() errors that mean "not here" rather than "not now" (EMFILE, ENOMEM).</summary>
    internal static bool IsSocketRefusal(Interop.Errno errno) =>
        errno is Interop.Errno.EACCES or Interop.Errno.EPERM or Interop.Errno.EAFNOSUPPORT or Interop.Errno.EPROTONOSUPPORT;

    internal static SocketSourceUnavailableException SocketRefused(NetlinkException e) => new(
        $"netlink source unavailable: socket(AF_NETLINK, NETLINK_SOCK_DIAG) failed with {(Interop.Errno)e.Errno} " +
        $"(a seccomp filter or systemd RestrictAddressFamilies= without AF_NETLINK?); {Fix}",
        e.Errno, e);

    /// <summary>The kernel answered the dump with an errno.</summary>
    internal static SourceReadResult Refused(byte family, SocketProtocol protocol, int errno)
    {
        var error = (Interop.Errno)errno;
        bool missing = error is Interop.Errno.EAFNOSUPPORT or Interop.Errno.ENOENT or Interop.Errno.EINVAL;
        // IPv6 disabled or absent is a shape of this host, not a failure: that kind has no sockets.
        if (family == InetDiagRequest.AfInet6 && missing) return SourceReadResult.Clean;

        string kind = KindName(family, protocol);
        string module = protocol == SocketProtocol.Tcp ? "tcp_diag" : "udp_diag";
        if (missing || error is Interop.Errno.EPERM or Interop.Errno.EACCES or Interop.Errno.EPROTONOSUPPORT or Interop.Errno.EOPNOTSUPP)
        {
            throw new SocketSourceUnavailableException(
                $"netlink source unavailable: the kernel refused the sock_diag dump of {kind} sockets with {error} " +
                $"(inet_diag or {module} missing, or not permitted); " +
                $"load it (modprobe {module}) or use --collector.source=procfs",
                errno);
        }
        throw new NetlinkException($"sock_diag dump of {kind} sockets failed: {error}", errno);
    }

    private static string KindName(byte family, SocketProtocol protocol) => (family, protocol) switch
    {
        (InetDiagRequest.AfInet, SocketProtocol.Tcp) => "tcp4",
        (InetDiagRequest.AfInet, SocketProtocol.Udp) => "udp4",
        (_, SocketProtocol.Tcp) => "tcp6",
        _ => "udp6",
    };

    /// <summary>Where the records (and their tcp_info) of a dump begin, to take them back out.</summary>
    private readonly record struct Mark(int Records, int Tcp)
    {
        public Mark(List<SocketRecord> sink, List<TcpHealth?>? tcp) : this(sink.Count, tcp?.Count ?? 0)
        {
        }

        public void RemoveSince(List<SocketRecord> sink, List<TcpHealth?>? tcp)
        {
            sink.RemoveRange(Records, sink.Count - Records);
            tcp?.RemoveRange(Tcp, tcp.Count - Tcp);
        }
    }
}
