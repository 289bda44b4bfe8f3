namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// Walks the route attributes (<c>struct rtattr</c>, include/uapi/linux/rtnetlink.h: u16 length
/// including the 4-byte header, u16 type, payload, padding to 4) that follow a fixed message.
/// A length that does not fit stops the walk with <see cref="IsMalformed"/>.
/// </summary>
internal ref struct NetlinkAttributeReader
{
    private const int HeaderSize = 4;

    // NLA_F_NESTED and NLA_F_NET_BYTEORDER share the type field (include/uapi/linux/netlink.h).
    private const ushort TypeMask = 0x3FFF;

    private ReadOnlySpan<byte> _remaining;

    public NetlinkAttributeReader(ReadOnlySpan<byte> attributes) => _remaining = attributes;

    public ushort Type { get; private set; }

    public ReadOnlySpan<byte> Payload { get; private set; }

    public bool IsMalformed { get; private set; }

    public bool MoveNext()
    {
        if (IsMalformed || _remaining.IsEmpty) return false;
        if (_remaining.Length < HeaderSize) return Stop();

        int length = HostOrder.ReadUInt16(_remaining);
        if (length < HeaderSize || length > _remaining.Length) return Stop();

        Type = (ushort)(HostOrder.ReadUInt16(_remaining[2..]) & TypeMask);
        Payload = _remaining[HeaderSize..length];
        _remaining = _remaining[Math.Min(NetlinkMessageHeader.Align(length), _remaining.Length)..];
        return true;
    }

    private bool Stop()
    {
        IsMalformed = true;
        Type = 0;
        Payload = default;
        return false;
    }
}
