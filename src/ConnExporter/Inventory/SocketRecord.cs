namespace ConnExporter.Inventory;

/// <summary>
/// One socket as a source read it from the kernel: plain values, nothing resolved yet.
/// </summary>
/// <remarks>Every collection streams each record through memory several times and the snapshot
/// keeps them all, so what only some sockets have, only when asked, lives elsewhere: a socket's
/// tcp_info is kept beside its record (<see cref="ISocketSource.Read"/>'s <c>tcp</c> list,
/// <see cref="Connection.Tcp"/>).</remarks>
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
    uint SendQueue);
