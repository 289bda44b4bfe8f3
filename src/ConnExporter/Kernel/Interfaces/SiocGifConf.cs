using System.Runtime.InteropServices;
using System.Text;
using ConnExporter.Inventory;

namespace ConnExporter.Kernel.Interfaces;

/// <summary>
/// The IPv4 addresses of every interface through <c>ioctl(SIOCGIFCONF)</c> on an AF_INET
/// socket: the one way to list them when AF_NETLINK is refused (getifaddrs needs netlink, and
/// procfs has no IPv4 address table).
/// </summary>
internal static class SiocGifConf
{
    // struct ifreq on 64-bit Linux ABIs: char ifr_name[IFNAMSIZ = 16], then a 24-byte union
    // (struct ifmap is the largest member) whose first member here is a struct sockaddr_in.
    private const int IfReqSize = 40;
    private const int NameSize = 16;
    private const int AddressOffset = 16;
    private const int AfInet = 2;
    private const int SockDgram = 2;

    /// <summary>An AF_INET datagram socket to issue interface ioctls on (in the caller's network namespace).</summary>
    public static SafeDescriptorHandle OpenSocket()
    {
        var socket = Interop.Socket(AfInet, SockDgram | Interop.SOCK_CLOEXEC, 0);
        if (!socket.IsInvalid) return socket;
        var failure = Failure("socket(AF_INET)");
        socket.Dispose();
        throw failure;
    }

    /// <summary>Appends (label's interface, address) pairs; throws IOException when the kernel refuses.</summary>
    public static unsafe void Read(SafeDescriptorHandle socket, List<InterfaceAddress> into)
    {
        int capacity = 64;
        while (true)
        {
            var buffer = new byte[capacity * IfReqSize];
            int length;
            fixed (byte* start = buffer)
            {
                // struct ifconf { int ifc_len; (padding) union { char *ifc_buf; … } }
                var ifconf = stackalloc byte[16];
                new Span<byte>(ifconf, 16).Clear();
                *(int*)ifconf = buffer.Length;
                *(byte**)(ifconf + 8) = start;
                if (Interop.Ioctl(socket, Interop.SIOCGIFCONF, ifconf) != 0)
                    throw Failure("ioctl(SIOCGIFCONF)");
                length = *(int*)ifconf;
            }
            // A full buffer may have been cut short: ask again with more room.
            if (length >= buffer.Length && capacity < 65536)
            {
                capacity *= 4;
                continue;
            }
            Parse(buffer.AsSpan(0, Math.Min(length, buffer.Length)), into);
            return;
        }
    }

    internal static void Parse(ReadOnlySpan<byte> requests, List<InterfaceAddress> into)
    {
        for (int at = 0; at + IfReqSize <= requests.Length; at += IfReqSize)
        {
            var request = requests.Slice(at, IfReqSize);
            // sa_family is in host byte order.
            if (MemoryMarshal.Read<ushort>(request[AddressOffset..]) != AfInet) continue;
            var label = request[..NameSize];
            int end = label.IndexOf((byte)0);
            label = end >= 0 ? label[..end] : label;
            // Secondary addresses may carry an alias label ("eth0:1"): the interface is before the colon.
            int colon = label.IndexOf((byte)':');
            if (colon >= 0) label = label[..colon];
            if (label.IsEmpty) continue;
            into.Add(new InterfaceAddress(Encoding.UTF8.GetString(label), 0,
                InetAddress.FromIPv4(request.Slice(AddressOffset + 4, 4))));
        }
    }

    private static IOException Failure(string call)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
