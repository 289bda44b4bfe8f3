using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;

namespace ConnExporter.Inventory;

/// <summary>
/// An IPv4 or IPv6 address held by value: 16 bytes in network order plus the family, so a
/// socket record carries its endpoints without a heap object per address.
/// IPv4 is stored in the first 4 bytes.
/// </summary>
/// <remarks>Packed to 4 bytes: 20 instead of 24, so that an <see cref="InetEndpoint"/> (address
/// and port) takes 24 bytes instead of 32, twice in every <see cref="SocketRecord"/>. At an
/// 8-byte aligned offset, as in a socket record, both halves stay 8-byte aligned.</remarks>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public readonly record struct InetAddress
{
    // Network byte order: _hi holds bytes 0..7, _lo bytes 8..15.
    private readonly ulong _hi;
    private readonly ulong _lo;

    public IpFamily Family { get; }

    private InetAddress(IpFamily family, ulong hi, ulong lo)
    {
        Family = family;
        _hi = hi;
        _lo = lo;
    }

    public static InetAddress AnyIPv4 => default;
    public static InetAddress AnyIPv6 => new(IpFamily.IPv6, 0, 0);

    /// <summary>From 4 bytes in network order.</summary>
    public static InetAddress FromIPv4(ReadOnlySpan<byte> networkOrder) =>
        new(IpFamily.IPv4, (ulong)BinaryPrimitives.ReadUInt32BigEndian(networkOrder) << 32, 0);

    /// <summary>From 16 bytes in network order.</summary>
    public static InetAddress FromIPv6(ReadOnlySpan<byte> networkOrder) =>
        new(IpFamily.IPv6, BinaryPrimitives.ReadUInt64BigEndian(networkOrder),
            BinaryPrimitives.ReadUInt64BigEndian(networkOrder[8..]));

    public static InetAddress FromIPAddress(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return written == 4 ? FromIPv4(bytes) : FromIPv6(bytes);
    }

    public static InetAddress Parse(string text) => FromIPAddress(IPAddress.Parse(text));

    /// <summary>Writes the address bytes (4 or 16) in network order; returns the count.</summary>
    public int WriteBytes(Span<byte> destination)
    {
        if (Family == IpFamily.IPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(_hi >> 32));
            return 4;
        }
        BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _lo);
        return 16;
    }

    /// <summary>True for <c>::ffff:a.b.c.d</c>, how a dual-stack socket sees an IPv4 peer.</summary>
    public bool IsIPv4Mapped => Family == IpFamily.IPv6 && _hi == 0 && (_lo >> 32) == 0xFFFF;

    /// <summary>IPv4-mapped IPv6 becomes plain IPv4; everything else is returned unchanged.</summary>
    public InetAddress Normalize() =>
        IsIPv4Mapped ? new InetAddress(IpFamily.IPv4, (_lo & 0xFFFF_FFFF) << 32, 0) : this;

    public bool IsUnspecified => _hi == 0 && _lo == 0;

    /// <summary>127.0.0.0/8 (127.0.0.53 included) or ::1, after normalisation.</summary>
    public bool IsLoopback
    {
        get
        {
            var n = Normalize();
            return n.Family == IpFamily.IPv4 ? (n._hi >> 56) == 127 : n._hi == 0 && n._lo == 1;
        }
    }

    /// <summary>fe80::/10, whose interface is only known through a scope id.</summary>
    public bool IsIPv6LinkLocal => Family == IpFamily.IPv6 && (_hi >> 54) == 0x3FA;

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        int n = WriteBytes(bytes);
        return new IPAddress(bytes[..n]);
    }

    public override string ToString() => ToIPAddress().ToString();

    /// <summary>Formats without allocating (IPv6 in RFC 5952 form, as IPAddress does).</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten) =>
        ToIPAddress().TryFormat(destination, out charsWritten);
}
