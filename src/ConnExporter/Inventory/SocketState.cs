namespace ConnExporter.Inventory;

/// <summary>Kernel socket states with their kernel numbers (include/net/tcp_states.h).</summary>
/// <remarks>UDP reuses the TCP numbers: an unconnected UDP socket is <see cref="Close"/>,
/// a connected one <see cref="Established"/>; <see cref="SocketStates.Name"/> maps that.</remarks>
public enum SocketState : byte
{
    Unknown = 0,
    Established = 1,
    SynSent = 2,
    SynRecv = 3,
    FinWait1 = 4,
    FinWait2 = 5,
    TimeWait = 6,
    Close = 7,
    CloseWait = 8,
    LastAck = 9,
    Listen = 10,
    Closing = 11,
    NewSynRecv = 12,
}

public static class SocketStates
{
    /// <summary>Every TCP state, in kernel order, for zero-filled views.</summary>
    public static ReadOnlySpan<SocketState> AllTcp =>
    [
        SocketState.Established, SocketState.SynSent, SocketState.SynRecv, SocketState.FinWait1,
        SocketState.FinWait2, SocketState.TimeWait, SocketState.Close, SocketState.CloseWait,
        SocketState.LastAck, SocketState.Listen, SocketState.Closing, SocketState.NewSynRecv,
    ];

    /// <summary>The states a UDP socket can be reported in.</summary>
    public static ReadOnlySpan<SocketState> AllUdp => [SocketState.Established, SocketState.Close];

    /// <summary>The kernel's name for a state; UDP's CLOSE is reported as <c>UNCONN</c>, as ss does.</summary>
    public static string Name(SocketProtocol protocol, SocketState state) => state switch
    {
        SocketState.Established => "ESTABLISHED",
        SocketState.SynSent => "SYN_SENT",
        SocketState.SynRecv => "SYN_RECV",
        SocketState.FinWait1 => "FIN_WAIT1",
        SocketState.FinWait2 => "FIN_WAIT2",
        SocketState.TimeWait => "TIME_WAIT",
        SocketState.Close => protocol == SocketProtocol.Udp ? "UNCONN" : "CLOSE",
        SocketState.CloseWait => "CLOSE_WAIT",
        SocketState.LastAck => "LAST_ACK",
        SocketState.Listen => "LISTEN",
        SocketState.Closing => "CLOSING",
        SocketState.NewSynRecv => "NEW_SYN_RECV",
        _ => "UNKNOWN",
    };

    /// <summary>Parses a kernel state name (case-insensitive; <c>UNCONN</c> is UDP's CLOSE).</summary>
    public static bool TryParse(string name, out SocketState state)
    {
        foreach (var s in AllTcp)
        {
            if (string.Equals(Name(SocketProtocol.Tcp, s), name, StringComparison.OrdinalIgnoreCase))
            {
                state = s;
                return true;
            }
        }
        if (string.Equals(name, "UNCONN", StringComparison.OrdinalIgnoreCase))
        {
            state = SocketState.Close;
            return true;
        }
        state = SocketState.Unknown;
        return false;
    }
}
