using System.Runtime.CompilerServices;
using ConnExporter.Inventory;

namespace ConnExporter.Tests.Inventory;

/// <summary>
/// Every collection streams each record through memory several times and the snapshot keeps
/// them all: a field added to the record, or a layout that pads it, costs every socket.
/// </summary>
public class SocketRecordTests
{
    [Fact]
    public void A_record_stays_small() => Assert.True(Unsafe.SizeOf<SocketRecord>() <= 112,
        $"SocketRecord is {Unsafe.SizeOf<SocketRecord>()} bytes");

    [Fact]
    public void Tcp_info_kept_beside_a_record_costs_no_more_than_its_fields()
    {
        Assert.Equal(36, Unsafe.SizeOf<TcpHealth>());
        Assert.Equal(40, Unsafe.SizeOf<TcpHealth?>());
    }
}
