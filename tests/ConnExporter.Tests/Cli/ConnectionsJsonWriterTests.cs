using System.Text.Json;
using ConnExporter.Cli;
using ConnExporter.Inventory;
using static ConnExporter.Tests.Metrics.ViewTestKit;

namespace ConnExporter.Tests.Cli;

public class ConnectionsJsonWriterTests
{
    [Fact]
    public void Writes_tcp_info_only_for_sockets_that_have_it()
    {
        var health = new TcpHealth(RttMicros: 1234, RttVarMicros: 56, Retransmits: 7, Unacked: 3, SendMss: 1448,
            BytesAcked: 0x1_0000_0001, BytesReceived: 4096);
        var snapshot = Snapshot(
            Conn(SocketProtocol.Tcp, SocketState.Established, "10.0.0.1", 40000, "10.0.0.2", 443, tcp: health),
            Conn(SocketProtocol.Tcp, SocketState.TimeWait, "10.0.0.1", 40001, "10.0.0.2", 443),
            Conn(SocketProtocol.Udp, SocketState.Close, "127.0.0.53", 53));
        using var output = new MemoryStream();

        ConnectionsJsonWriter.Write(output, snapshot.Connections);

        using var json = JsonDocument.Parse(output.ToArray());
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(3, rows.Count);
        var info = rows[0].GetProperty("tcp_info");
        Assert.Equal(
            ["rtt_us", "rttvar_us", "retransmits", "bytes_acked", "bytes_received", "bytes_in_flight"],
            info.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1234u, info.GetProperty("rtt_us").GetUInt32());
        Assert.Equal(56u, info.GetProperty("rttvar_us").GetUInt32());
        Assert.Equal(7u, info.GetProperty("retransmits").GetUInt32());
        Assert.Equal(0x1_0000_0001ul, info.GetProperty("bytes_acked").GetUInt64());
        Assert.Equal(4096ul, info.GetProperty("bytes_received").GetUInt64());
        Assert.Equal(3ul * 1448, info.GetProperty("bytes_in_flight").GetUInt64());
        Assert.False(rows[1].TryGetProperty("tcp_info", out _));
        Assert.False(rows[2].TryGetProperty("tcp_info", out _));
    }
}
