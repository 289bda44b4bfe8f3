namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// How far a netlink dump has got across its batches: whether it ended (and with which error),
/// what could not be parsed, and whether a lost message may have taken the end with it. The
/// sock_diag and conntrack dumps end the same way, so both keep one of these.
/// </summary>
internal struct DumpProgress
{
    /// <summary>NLMSG_DONE or NLMSG_ERROR arrived: no more batches belong to this dump.</summary>
    public bool IsDone { get; private set; }

    /// <summary>The negative errno the kernel ended the dump with; 0 when it succeeded.</summary>
    public int Error { get; private set; }

    /// <summary>Messages, or whole batches, that could not be parsed.</summary>
    public int Malformed { get; private set; }

    public string? FirstProblem { get; private set; }

    /// <summary>A batch was malformed or truncated, so the end-of-dump message may be lost too.</summary>
    public bool LostMessages { get; private set; }

    public void Count(string? problem)
    {
        Malformed++;
        FirstProblem ??= problem;
    }

    /// <summary>After a batch's messages were read through <paramref name="reader"/>.</summary>
    /// <param name="truncated">The datagram was longer than the receive buffer.</param>
    public void EndBatch(in NetlinkMessageReader reader, bool truncated)
    {
        if (truncated)
        {
            // The cut-off message is counted here, once, rather than as a malformed header.
            Count("netlink batch longer than the receive buffer");
            LostMessages = true;
        }
        else if (reader.IsMalformed)
        {
            Count(reader.Problem);
            LostMessages = true;
        }
        if (reader.IsDone)
        {
            IsDone = true;
            Error = reader.Error;
        }
    }
}
