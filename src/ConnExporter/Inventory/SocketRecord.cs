namespace ConnExporter.Inventory;

/// <summary>
/// One socket as a source read it from the kernel: plain values, nothing resolved yet.
/// </summary>
/// <remarks>Every collection streams each record through memory several times and the snapshot
/// keeps them all, so what only some sockets have, only when asked, lives elsewhere: a socket's
/// tcp_info is kept beside its record (<see cref="ISocketSource.Read"/>'s <c>tcp</c> list,
/// <see cref="Connection.Tcp"/>). The members are declared below, widest first, because their
/// declaration order is the layout: 88 bytes with no padding but the last 5, every 8-byte field on
/// an 8-byte boundary. In parameter order the one-byte fields and 4-byte gaps would cost 24 bytes
/// more.</remarks>
/// <param name="BoundInterfaceIndex">SO_BINDTODEVICE / scope interface index, 0 when unbound
/// (netlink only; procfs cannot see it).</param>
/// <param name="Inode">The socket inode that <c>/proc/&lt;pid&gt;/fd</c> links name; 0 for
/// TIME_WAIT, request and orphaned sockets, which no process owns.</param>
/// <param name="Cookie">The kernel's socket cookie (netlink only; 0 from procfs).</param>
public readonly record struct SocketRecord(
    SocketProtocol Protocol,
    IpFamily Family,
    SocketState State,
    InetEndpoint Local,
    InetEndpoint Remote,
    int BoundInterfaceIndex,
    ulong Inode,
    uint Uid,
    ulong Cookie,
    uint ReceiveQueue,
    uint SendQueue)
{
    public InetEndpoint Local { get; init; } = Local;
    public InetEndpoint Remote { get; init; } = Remote;
    public ulong Inode { get; init; } = Inode;
    public ulong Cookie { get; init; } = Cookie;
    public int BoundInterfaceIndex { get; init; } = BoundInterfaceIndex;
    public uint Uid { get; init; } = Uid;
    public uint ReceiveQueue { get; init; } = ReceiveQueue;
    public uint SendQueue { get; init; } = SendQueue;
    public SocketProtocol Protocol { get; init; } = Protocol;
    public IpFamily Family { get; init; } = Family;
    public SocketState State { get; init; } = State;
}
