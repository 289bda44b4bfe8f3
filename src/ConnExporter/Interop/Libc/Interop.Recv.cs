using System.Runtime.InteropServices;

internal static partial class Interop
{
    // include/linux/socket.h
    internal const int MSG_DONTWAIT = 0x40;

    /// <summary>With it, a datagram socket returns the datagram's real length even when it
    /// was longer than the buffer, so truncation can be detected.</summary>
    internal const int MSG_TRUNC = 0x20;

    /// <summary>recv(2); the number of bytes received (see <see cref="MSG_TRUNC"/>), or -1 and errno.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "recv", SetLastError = true)]
    internal static unsafe partial nint Recv(SafeDescriptorHandle socket, byte* buffer, nuint length, int flags);
}
