using ConnExporter.Inventory;

namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// Reads the destination-NAT entries of the conntrack table of the calling thread's network
/// namespace over NETLINK_NETFILTER (ctnetlink; no <c>conntrack</c> binary, no libnetfilter).
/// One dump per read, into a table the caller owns and reuses.
/// </summary>
/// <remarks>ctnetlink answers every request with EPERM without CAP_NET_ADMIN in the namespace
/// that owns the table; that, and a kernel without conntrack, is an outcome
/// (<see cref="ConntrackRead"/>), not an exception. Reads are serialised.</remarks>
internal sealed class ConntrackSource
{
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(NetlinkSocket.MinimumBufferSize);
    private readonly Lock _gate = new();
    private uint _sequence;

    /// <summary>Clears <paramref name="translated"/> and fills it with original tuple → real destination.</summary>
    /// <exception cref="NetlinkException">An unexpected system call failure (ENOMEM, EMFILE, ...).</exception>
    public ConntrackRead Read(Dictionary<ConntrackTuple, InetEndpoint> translated)
    {
        ArgumentNullException.ThrowIfNull(translated);
        lock (_gate)
        {
            translated.Clear();
            uint sequence = ++_sequence;
            Span<byte> request = stackalloc byte[ConntrackRequest.MessageSize];
            ConntrackRequest.Write(request, sequence);
            var dump = new ConntrackDump(sequence);
            NetlinkSocket socket;
            try
            {
                socket = NetlinkSocket.Open(Interop.NETLINK_NETFILTER, _buffer);
            }
            catch (NetlinkException e) when (SockDiagSource.IsSocketRefusal((Interop.Errno)e.Errno))
            {
                return new ConntrackRead(ConntrackOutcome.Refused, e.Errno, 0, 0, null);
            }
            using (socket)
            {
                socket.Send(request);
                while (!dump.IsDone)
                {
                    // As for sock_diag: once a malformed batch may have swallowed NLMSG_DONE, an
                    // empty queue means the dump is over.
                    var batch = socket.Receive(dontWait: dump.LostMessages, out bool truncated);
                    if (batch.IsEmpty) break;
                    dump.Add(batch, truncated, translated);
                }
            }
            if (dump.Error != 0)
            {
                translated.Clear();
                var errno = (Interop.Errno)(-dump.Error);
                var outcome = errno switch
                {
                    Interop.Errno.EPERM or Interop.Errno.EACCES => ConntrackOutcome.Refused,
                    // No ctnetlink (nf_conntrack_netlink not built or loadable): no table to read.
                    Interop.Errno.EOPNOTSUPP or Interop.Errno.ENOENT or Interop.Errno.EPROTONOSUPPORT => ConntrackOutcome.Absent,
                    _ => throw new NetlinkException($"conntrack dump failed: {errno}", -dump.Error),
                };
                return new ConntrackRead(outcome, -dump.Error, dump.Entries, dump.Malformed, dump.FirstProblem);
            }
            return new ConntrackRead(ConntrackOutcome.Read, 0, dump.Entries, dump.Malformed, dump.FirstProblem);
        }
    }
}

/// <summary>How a conntrack read ended.</summary>
internal enum ConntrackOutcome
{
    /// <summary>The table was dumped.</summary>
    Read,

    /// <summary>Not permitted: CAP_NET_ADMIN missing in the namespace, or netlink refused (seccomp).</summary>
    Refused,

    /// <summary>The kernel has no ctnetlink: nothing can be translated.</summary>
    Absent,

    /// <summary>An unexpected system call failure (ENOMEM, EMFILE...): this read found nothing; the next may.</summary>
    Failed,
}

/// <param name="Errno">The positive errno behind <see cref="ConntrackOutcome.Refused"/>,
/// <see cref="ConntrackOutcome.Absent"/> or <see cref="ConntrackOutcome.Failed"/>; 0 when read.</param>
/// <param name="Entries">Entries the dump returned (only translated ones when the kernel filters).</param>
internal readonly record struct ConntrackRead(ConntrackOutcome Outcome, int Errno, int Entries, int Malformed, string? FirstProblem);
