namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// <c>struct nlmsghdr</c> (include/uapi/linux/netlink.h): 16 bytes in host order that start
/// every netlink message; <see cref="Length"/> counts the header itself.
/// </summary>
internal readonly record struct NetlinkMessageHeader(uint Length, ushort Type, ushort Flags, uint Sequence, uint PortId)
{
    public const int Size = 16;

    // Message types every netlink family shares.
    public const ushort TypeNoop = 1;
    public const ushort TypeError = 2;
    public const ushort TypeDone = 3;
    public const ushort TypeOverrun = 4;

    // Flags.
    public const ushort FlagRequest = 0x1;
    public const ushort FlagMulti = 0x2;
    public const ushort FlagAck = 0x4;
    public const ushort FlagDumpInterrupted = 0x10;
    public const ushort FlagRoot = 0x100;
    public const ushort FlagMatch = 0x200;
    public const ushort FlagDump = FlagRoot | FlagMatch;

    /// <summary>NLMSG_ALIGN: messages (and route attributes) start on 4-byte boundaries.</summary>
    public static int Align(int length) => (length + 3) & ~3;

    /// <summary>Reads a header from at least <see cref="Size"/> bytes.</summary>
    public static NetlinkMessageHeader Read(ReadOnlySpan<byte> source)
    {
        source = source[..Size];
        return new NetlinkMessageHeader(
            HostOrder.ReadUInt32(source),
            HostOrder.ReadUInt16(source[4..]),
            HostOrder.ReadUInt16(source[6..]),
            HostOrder.ReadUInt32(source[8..]),
            HostOrder.ReadUInt32(source[12..]));
    }

    /// <summary>
    /// Starts a dump request of <paramref name="messageSize"/> bytes: clears them, writes the
    /// header (NLM_F_REQUEST | NLM_F_DUMP, to the kernel) and returns the zeroed payload after it.
    /// </summary>
    public static Span<byte> WriteDumpRequest(Span<byte> destination, int messageSize, ushort type, uint sequence)
    {
        var message = destination[..messageSize];
        message.Clear();
        new NetlinkMessageHeader((uint)messageSize, type, FlagRequest | FlagDump, sequence, PortId: 0).Write(message);
        return message[Size..];
    }

    /// <summary>Writes the header into at least <see cref="Size"/> bytes.</summary>
    public void Write(Span<byte> destination)
    {
        destination = destination[..Size];
        HostOrder.WriteUInt32(destination, Length);
        HostOrder.WriteUInt16(destination[4..], Type);
        HostOrder.WriteUInt16(destination[6..], Flags);
        HostOrder.WriteUInt32(destination[8..], Sequence);
        HostOrder.WriteUInt32(destination[12..], PortId);
    }
}
