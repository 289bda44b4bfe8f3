using ConnExporter.Inventory;

namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// One direction of a conntrack entry (<c>struct nf_conntrack_tuple</c> as ctnetlink sends it):
/// the L4 protocol number and the source and destination endpoints, addresses normalised
/// (IPv4-mapped IPv6 as IPv4) so that a dual-stack socket's view of an IPv4 peer finds its entry.
/// </summary>
internal readonly record struct ConntrackTuple(byte Protocol, InetEndpoint Source, InetEndpoint Destination)
{
    public const byte IpProtoTcp = 6;
    public const byte IpProtoUdp = 17;

    /// <summary>The tuple the kernel's original direction has for a socket: its local endpoint
    /// to the remote it connected to (for a DNATed connection, the virtual address).</summary>
    public static ConntrackTuple OfSocket(in SocketRecord socket) => new(
        socket.Protocol == SocketProtocol.Tcp ? IpProtoTcp : IpProtoUdp,
        new InetEndpoint(socket.Local.Address.Normalize(), socket.Local.Port),
        new InetEndpoint(socket.Remote.Address.Normalize(), socket.Remote.Port));
}
