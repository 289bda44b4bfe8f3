namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// Walks the netlink messages of one received batch (one datagram). Each step checks
/// <c>nlmsg_len</c> against the header size and the bytes left, then advances by the
/// NLMSG_ALIGN'ed length. Control messages end the walk: <c>NLMSG_DONE</c> sets
/// <see cref="IsDone"/>, <c>NLMSG_ERROR</c> also sets <see cref="Error"/>. A header that does not
/// fit stops the walk with <see cref="IsMalformed"/>; nothing here throws.
/// </summary>
/// <remarks>Use it with <c>while (reader.MoveNext())</c>, not <c>foreach</c>: the end state lives
/// in this struct and a copy would lose it.</remarks>
internal ref struct NetlinkMessageReader
{
    private ReadOnlySpan<byte> _remaining;

    public NetlinkMessageReader(ReadOnlySpan<byte> batch) => _remaining = batch;

    /// <summary>The current message's header, valid after <see cref="MoveNext"/> returned true.</summary>
    public NetlinkMessageHeader Header { get; private set; }

    /// <summary>The current message's payload (after the header, before alignment padding).</summary>
    public ReadOnlySpan<byte> Payload { get; private set; }

    /// <summary>The reply is complete: <c>NLMSG_DONE</c> or <c>NLMSG_ERROR</c> was read.</summary>
    public bool IsDone { get; private set; }

    /// <summary>The negative errno an <c>NLMSG_ERROR</c> (or a failed dump's <c>NLMSG_DONE</c>)
    /// carried; 0 when none, or when the error message was a plain acknowledgement.</summary>
    public int Error { get; private set; }

    /// <summary>The batch held bytes that are not a valid message; the walk stopped there.</summary>
    public bool IsMalformed => Problem is not null;

    /// <summary>Why the batch is malformed (a constant string, so the hot path does not allocate).</summary>
    public string? Problem { get; private set; }

    /// <summary>Advances to the next data message; false at the end of the batch, on
    /// <c>NLMSG_DONE</c>/<c>NLMSG_ERROR</c>, or on a malformed header.</summary>
    public bool MoveNext()
    {
        while (!IsDone && Problem is null && !_remaining.IsEmpty)
        {
            if (_remaining.Length < NetlinkMessageHeader.Size)
                return Stop("fewer bytes left than a netlink message header");

            var header = NetlinkMessageHeader.Read(_remaining);
            if (header.Length < NetlinkMessageHeader.Size)
                return Stop("nlmsg_len shorter than the netlink message header");
            if (header.Length > (uint)_remaining.Length)
                return Stop("nlmsg_len longer than the bytes left in the batch");

            int length = (int)header.Length;
            var payload = _remaining[NetlinkMessageHeader.Size..length];
            // The last message of a batch may lack its alignment padding.
            _remaining = _remaining[Math.Min(NetlinkMessageHeader.Align(length), _remaining.Length)..];

            switch (header.Type)
            {
                case NetlinkMessageHeader.TypeNoop:
                    continue;
                case NetlinkMessageHeader.TypeDone:
                    // A dump that failed part-way reports its errno here (netlink_dump_done);
                    // anything but a negative errno is not one, and must not become one.
                    Error = payload.Length >= 4 && IsErrno(HostOrder.ReadInt32(payload)) ? HostOrder.ReadInt32(payload) : 0;
                    IsDone = true;
                    return false;
                case NetlinkMessageHeader.TypeError:
                    // struct nlmsgerr: int error (negative errno, 0 for an ACK), then the request's header.
                    // The echoed request may be cut short (NETLINK_CAP_ACK) or forged: only the
                    // code is read, and only a code the kernel can send (0 or -1..-MAX_ERRNO)
                    // is believed, so that negating it or naming it can never overflow.
                    if (payload.Length < 4)
                        return Stop("NLMSG_ERROR shorter than its error code");
                    int error = HostOrder.ReadInt32(payload);
                    if (error != 0 && !IsErrno(error))
                        return Stop("NLMSG_ERROR with an error code that is not a negative errno");
                    Error = error;
                    IsDone = true;
                    return false;
                case NetlinkMessageHeader.TypeOverrun:
                    return Stop("NLMSG_OVERRUN: the kernel dropped messages");
                default:
                    Header = header;
                    Payload = payload;
                    return true;
            }
        }
        return false;
    }

    /// <summary>MAX_ERRNO (include/linux/err.h): the kernel's errnos are -1 … -4095.</summary>
    private const int MaxErrno = 4095;

    private static bool IsErrno(int value) => value is < 0 and >= -MaxErrno;

    private bool Stop(string problem)
    {
        Problem = problem;
        Header = default;
        Payload = default;
        return false;
    }
}
