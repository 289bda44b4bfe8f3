using ConnExporter.Inventory;

namespace ConnExporter.Tests.Inventory;

public sealed class DirectionClassifierTests
{
    private static SocketRecord Sock(SocketProtocol p, SocketState s, ushort local, ushort remote) =>
        new(p, IpFamily.IPv4, s, new(InetAddress.Parse("10.0.0.1"), local),
            new(InetAddress.Parse(remote == 0 ? "0.0.0.0" : "10.0.0.2"), remote), 0, 1, 0, 0, 0, 0);

    [Fact]
    public void TcpByListeningPortUdpOnlyWhenConnected()
    {
        var sockets = new List<SocketRecord>
        {
            Sock(SocketProtocol.Tcp, SocketState.Listen, 80, 0),
            Sock(SocketProtocol.Tcp, SocketState.Established, 80, 50000),
            Sock(SocketProtocol.Tcp, SocketState.Established, 50001, 443),
            Sock(SocketProtocol.Tcp, SocketState.TimeWait, 80, 50002),
            Sock(SocketProtocol.Udp, SocketState.Close, 53, 0),
            Sock(SocketProtocol.Udp, SocketState.Established, 53, 40000),
            Sock(SocketProtocol.Udp, SocketState.Established, 40001, 53),
            // A UDP server port does not make a TCP connection on the same number incoming.
            Sock(SocketProtocol.Tcp, SocketState.Established, 53, 443),
        };
        var c = new DirectionClassifier();
        c.Reset(sockets.ToArray());
        Assert.Equal(
            [Direction.Listen, Direction.Incoming, Direction.Outgoing, Direction.Incoming,
             Direction.Unknown, Direction.Incoming, Direction.Outgoing, Direction.Outgoing],
            sockets.Select(s => c.Classify(s)));
    }

    [Fact]
    public void ResetForgetsThePreviousSnapshot()
    {
        var c = new DirectionClassifier();
        c.Reset([Sock(SocketProtocol.Tcp, SocketState.Listen, 80, 0)]);
        var conn = Sock(SocketProtocol.Tcp, SocketState.Established, 80, 5000);
        Assert.Equal(Direction.Incoming, c.Classify(conn));
        c.Reset([conn]);
        Assert.Equal(Direction.Outgoing, c.Classify(conn));
    }
}
