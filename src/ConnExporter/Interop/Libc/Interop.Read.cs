using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary><c>read(2)</c>; returns the byte count, 0 at end of file, -1 with errno set.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "read", SetLastError = true)]
    internal static unsafe partial nint Read(int fd, byte* buffer, nuint count);
}
