using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>sendto(2); the number of bytes sent, or -1 and errno.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "sendto", SetLastError = true)]
    internal static unsafe partial nint SendTo(
        SafeDescriptorHandle socket, byte* buffer, nuint length, int flags, byte* address, uint addressLength);
}
