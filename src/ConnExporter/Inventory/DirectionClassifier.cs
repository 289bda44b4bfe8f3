namespace ConnExporter.Inventory;

/// <summary>
/// Classifies sockets by direction from one snapshot's listening ports: a connected socket
/// whose local port this namespace listens on (same protocol) was accepted, any other
/// connected socket was initiated here. Port alone decides, as a listener on 0.0.0.0:80 and a
/// connection on 10.0.0.1:80 are the same service.
/// </summary>
internal sealed class DirectionClassifier
{
    // 65536 bits per protocol: constant memory, no hashing on the hot path.
    private readonly ulong[] _tcpListening = new ulong[1024];
    private readonly ulong[] _udpBound = new ulong[1024];

    public void Reset(ReadOnlySpan<SocketRecord> sockets)
    {
        Array.Clear(_tcpListening);
        Array.Clear(_udpBound);
        foreach (ref readonly var s in sockets)
        {
            if (s.Protocol == SocketProtocol.Tcp && s.State == SocketState.Listen)
                Set(_tcpListening, s.Local.Port);
            else if (s.Protocol == SocketProtocol.Udp && s.State == SocketState.Close && s.Local.Port != 0)
                Set(_udpBound, s.Local.Port);
        }
    }

    public Direction Classify(in SocketRecord s)
    {
        if (s.Protocol == SocketProtocol.Tcp)
        {
            if (s.State == SocketState.Listen) return Direction.Listen;
            return IsSet(_tcpListening, s.Local.Port) ? Direction.Incoming : Direction.Outgoing;
        }
        // UDP: an unconnected socket has no peer; a connected one sharing a bound server port
        // (per-client sockets, as QUIC servers use) is incoming, else it is a client.
        if (s.State != SocketState.Established) return Direction.Unknown;
        return IsSet(_udpBound, s.Local.Port) ? Direction.Incoming : Direction.Outgoing;
    }

    private static void Set(ulong[] bits, ushort port) => bits[port >> 6] |= 1UL << (port & 63);

    private static bool IsSet(ulong[] bits, ushort port) => (bits[port >> 6] & (1UL << (port & 63))) != 0;
}
