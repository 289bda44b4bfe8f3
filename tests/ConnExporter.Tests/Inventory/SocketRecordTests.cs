using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ConnExporter.Inventory;

namespace ConnExporter.Tests.Inventory;

/// <summary>
/// Every collection streams each record through memory several times and the snapshot keeps
/// them all: a field added to the record, or a layout that pads it, costs every socket.
/// </summary>
public class SocketRecordTests
{
    [Fact]
    public void A_record_stays_small() => Assert.True(Unsafe.SizeOf<SocketRecord>() <= 88,
        $"SocketRecord is {Unsafe.SizeOf<SocketRecord>()} bytes");

    [Fact]
    public void Its_8_byte_fields_stay_8_byte_aligned()
    {
        // Fields of repeated bytes, so their memory order does not depend on endianness.
        var record = new SocketRecord(SocketProtocol.Tcp, IpFamily.IPv6, SocketState.Established,
            new InetEndpoint(InetAddress.Parse("aaaa:aaaa:aaaa:aaaa:bbbb:bbbb:bbbb:bbbb"), 1),
            new InetEndpoint(InetAddress.Parse("cccc:cccc:cccc:cccc:dddd:dddd:dddd:dddd"), 2),
            BoundInterfaceIndex: 3, Inode: 0x1111_1111_1111_1111, Uid: 4, Cookie: 0x2222_2222_2222_2222,
            ReceiveQueue: 5, SendQueue: 6);
        var bytes = MemoryMarshal.AsBytes(new[] { record }.AsSpan());

        foreach (byte marker in (ReadOnlySpan<byte>)[0xaa, 0xbb, 0xcc, 0xdd, 0x11, 0x22])
        {
            int offset = bytes.IndexOf([marker, marker, marker, marker, marker, marker, marker, marker]);
            Assert.True(offset >= 0 && offset % 8 == 0, $"the 8 bytes of 0x{marker:x2} are at offset {offset}");
        }
        Assert.Equal(24, Unsafe.SizeOf<InetEndpoint>());
    }

    [Fact]
    public void Tcp_info_kept_beside_a_record_costs_no_more_than_its_fields()
    {
        Assert.Equal(36, Unsafe.SizeOf<TcpHealth>());
        Assert.Equal(40, Unsafe.SizeOf<TcpHealth?>());
    }
}
