namespace ConnExporter.Inventory;

/// <summary>The transport a socket speaks. Only the two the inventory covers.</summary>
public enum SocketProtocol : byte
{
    Tcp,
    Udp,
}

/// <summary>The address family a socket was created with (AF_INET or AF_INET6).</summary>
/// <remarks>A dual-stack IPv6 socket stays <see cref="IPv6"/> even when its peer is IPv4;
/// its addresses are normalised separately (see <see cref="InetAddress.Normalize"/>).</remarks>
public enum IpFamily : byte
{
    IPv4,
    IPv6,
}
