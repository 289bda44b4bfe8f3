using ConnExporter.Inventory;

namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// The reply to one inet_diag dump request, fed batch by batch: turns each
/// <c>inet_diag_msg</c> message into a <see cref="SocketRecord"/> (and, when asked, its tcp_info
/// into an entry of a parallel list), counts what cannot be
/// parsed, and notes how the reply ended. Pure: no I/O, so it is tested on built bytes.
/// </summary>
internal sealed class InetDiagDump
{
    private readonly SocketProtocol _protocol;
    private readonly uint _sequence;
    private readonly ushort _replyType;
    private DumpProgress _progress;

    /// <param name="replyType">The nlmsg_type of the data messages: the request's type,
    /// <see cref="InetDiagRequest.SockDiagByFamily"/> or <see cref="InetDiagLegacyRequest.TcpDiagGetSock"/>.</param>
    public InetDiagDump(SocketProtocol protocol, uint sequence, ushort replyType = InetDiagRequest.SockDiagByFamily)
    {
        _protocol = protocol;
        _sequence = sequence;
        _replyType = replyType;
    }

    /// <summary>NLMSG_DONE or NLMSG_ERROR arrived: no more batches belong to this dump.</summary>
    public bool IsDone => _progress.IsDone;

    /// <summary>The negative errno the kernel ended the dump with; 0 when it succeeded.</summary>
    public int Error => _progress.Error;

    /// <summary>Messages, or whole batches, that could not be parsed.</summary>
    public int Malformed => _progress.Malformed;

    public string? FirstProblem => _progress.FirstProblem;

    /// <summary>A batch was malformed or truncated, so the end-of-dump message may be lost too.</summary>
    public bool LostMessages => _progress.LostMessages;

    public SourceReadResult Result => new(Malformed, FirstProblem);

    /// <summary>Appends the sockets of one received batch to <paramref name="sink"/>.</summary>
    /// <param name="truncated">The datagram was longer than <paramref name="batch"/>.</param>
    /// <param name="tcp">When not null, receives each appended socket's tcp_info at the same
    /// index, null where its message carried none (and always for UDP).</param>
    public void Add(ReadOnlySpan<byte> batch, bool truncated, List<SocketRecord> sink, List<TcpHealth?>? tcp = null)
    {
        var reader = new NetlinkMessageReader(batch);
        while (reader.MoveNext())
        {
            // Anything else (another request's reply) is not ours to count.
            if (reader.Header.Type != _replyType || reader.Header.Sequence != _sequence)
                continue;
            if (InetDiagMessage.TryParse(reader.Payload, out var diag, out string? problem))
            {
                sink.Add(ToRecord(diag));
                tcp?.Add(_protocol == SocketProtocol.Tcp ? diag.Tcp : null);
            }
            else
            {
                Count(problem);
            }
        }

        _progress.EndBatch(reader, truncated);
    }

    private void Count(string? problem) => _progress.Count(problem);

    private SocketRecord ToRecord(in InetDiagMessage diag) => new(
        _protocol,
        diag.Family == InetDiagRequest.AfInet6 ? IpFamily.IPv6 : IpFamily.IPv4,
        (SocketState)diag.State,
        diag.Local,
        diag.Remote,
        (int)diag.InterfaceIndex,
        diag.Inode,
        diag.Uid,
        diag.Cookie,
        diag.ReceiveQueue,
        diag.SendQueue);
}
