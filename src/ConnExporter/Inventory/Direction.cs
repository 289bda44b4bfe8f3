namespace ConnExporter.Inventory;

/// <summary>Which side opened a connection, as far as the socket table can tell.</summary>
public enum Direction : byte
{
    /// <summary>UDP that is not connected: no peer, no direction.</summary>
    Unknown,
    /// <summary>A listening TCP socket or a bound, unconnected UDP socket's role as a server.</summary>
    Listen,
    /// <summary>The local port is one this namespace listens on: a client came to us.</summary>
    Incoming,
    /// <summary>Any other connected socket: we went to the peer.</summary>
    Outgoing,
}

public static class Directions
{
    public static string Name(Direction direction) => direction switch
    {
        Direction.Listen => "listen",
        Direction.Incoming => "incoming",
        Direction.Outgoing => "outgoing",
        _ => "unknown",
    };
}
