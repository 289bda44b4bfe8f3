using System.Runtime.InteropServices;

namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// A raw netlink socket talking to the kernel (port id 0). .NET's <c>Socket</c> refuses
/// AF_NETLINK, so this calls libc directly. Replies are received into a buffer the caller
/// owns and reuses across sockets; each batch is one datagram, exposed as a span that stays
/// valid until the next <see cref="Receive"/>.
/// </summary>
/// <remarks>A netlink socket belongs to the network namespace of the thread that opened it.
/// Not thread-safe.</remarks>
internal sealed class NetlinkSocket : IDisposable
{
    /// <summary>
    /// Enough for any dump batch: the kernel sizes dump datagrams by the largest read the socket
    /// has seen but caps them at SKB_WITH_OVERHEAD(32768) (net/netlink/af_netlink.c).
    /// </summary>
    public const int MinimumBufferSize = 32 * 1024;

    // struct sockaddr_nl (include/uapi/linux/netlink.h): u16 family, u16 pad, u32 pid, u32 groups.
    private const int SockaddrNlSize = 12;

    private readonly SafeDescriptorHandle _handle;
    private readonly byte[] _buffer;

    private NetlinkSocket(SafeDescriptorHandle handle, byte[] buffer)
    {
        _handle = handle;
        _buffer = buffer;
    }

    /// <summary>Opens <c>socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol)</c>.</summary>
    /// <param name="receiveBuffer">At least <see cref="MinimumBufferSize"/> bytes; borrowed, not copied.</param>
    /// <exception cref="NetlinkException">socket() failed; <see cref="NetlinkException.Errno"/> says why.</exception>
    public static NetlinkSocket Open(int protocol, byte[] receiveBuffer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(receiveBuffer.Length, MinimumBufferSize);
        var handle = Interop.Socket(Interop.AF_NETLINK, Interop.SOCK_RAW | Interop.SOCK_CLOEXEC, protocol);
        if (handle.IsInvalid)
        {
            var errno = (Interop.Errno)Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new NetlinkException($"socket(AF_NETLINK, SOCK_RAW, {protocol}) failed: {errno}", (int)errno);
        }
        return new NetlinkSocket(handle, receiveBuffer);
    }

    /// <summary>Sends one message to the kernel, retrying when a signal interrupts.</summary>
    /// <exception cref="NetlinkException">sendto() failed or sent less than the message.</exception>
    public unsafe void Send(ReadOnlySpan<byte> message)
    {
        // sockaddr_nl with nl_family = AF_NETLINK and nl_pid = 0: the kernel.
        byte* address = stackalloc byte[SockaddrNlSize];
        new Span<byte>(address, SockaddrNlSize).Clear();
        HostOrder.WriteUInt16(new Span<byte>(address, 2), Interop.AF_NETLINK);

        nint sent;
        Interop.Errno errno = 0;
        fixed (byte* data = message)
        {
            do
            {
                sent = Interop.SendTo(_handle, data, (nuint)message.Length, 0, address, SockaddrNlSize);
            }
            while (sent < 0 && (errno = (Interop.Errno)Marshal.GetLastPInvokeError()) == Interop.Errno.EINTR);
        }
        if (sent < 0)
            throw new NetlinkException($"netlink sendto failed: {errno}", (int)errno);
        if (sent != message.Length)
            throw new NetlinkException($"netlink sendto sent {sent} of {message.Length} bytes", 0);
    }

    /// <summary>
    /// Receives the next datagram, retrying when a signal interrupts. <paramref name="truncated"/>
    /// is true when the datagram was longer than the buffer (recv with MSG_TRUNC reports the real
    /// length); the span then holds only its first bytes.
    /// </summary>
    /// <param name="dontWait">Return an empty span instead of blocking when nothing is queued.</param>
    /// <exception cref="NetlinkException">recv() failed.</exception>
    public unsafe ReadOnlySpan<byte> Receive(bool dontWait, out bool truncated)
    {
        int flags = Interop.MSG_TRUNC | (dontWait ? Interop.MSG_DONTWAIT : 0);
        nint received;
        Interop.Errno errno = 0;
        fixed (byte* data = _buffer)
        {
            do
            {
                received = Interop.Recv(_handle, data, (nuint)_buffer.Length, flags);
            }
            while (received < 0 && (errno = (Interop.Errno)Marshal.GetLastPInvokeError()) == Interop.Errno.EINTR);
        }
        if (received < 0)
        {
            truncated = false;
            if (dontWait && errno == Interop.Errno.EAGAIN) return default;
            throw new NetlinkException($"netlink recv failed: {errno}", (int)errno);
        }
        truncated = received > _buffer.Length;
        return _buffer.AsSpan(0, (int)Math.Min(received, _buffer.Length));
    }

    public void Dispose() => _handle.Dispose();
}
