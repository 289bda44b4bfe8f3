using System.Runtime.InteropServices;

internal static partial class Interop
{
    // Values from include/linux/socket.h, include/linux/net.h (x86, arm and most other ABIs)
    // and include/uapi/linux/netlink.h.
    internal const int AF_NETLINK = 16;
    internal const int SOCK_RAW = 3;
    internal const int SOCK_CLOEXEC = 0x80000;
    internal const int NETLINK_SOCK_DIAG = 4;
    internal const int NETLINK_NETFILTER = 12;

    /// <summary>socket(2); an invalid handle and errno on failure.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "socket", SetLastError = true)]
    internal static partial SafeDescriptorHandle Socket(int domain, int type, int protocol);
}
