using System.Runtime.InteropServices;

internal static partial class Interop
{
    // include/uapi/linux/sockios.h
    internal const uint SIOCGIFCONF = 0x8912;
    internal const uint SIOCGIFINDEX = 0x8933;

    /// <summary>ioctl(2) with a pointer argument; -1 and errno on failure.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "ioctl", SetLastError = true)]
    internal static unsafe partial int Ioctl(SafeDescriptorHandle fd, nuint request, void* argument);
}
