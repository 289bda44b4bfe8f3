using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary><c>pread(2)</c>; returns the byte count, 0 at end of file, -1 with errno set.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "pread", SetLastError = true)]
    internal static unsafe partial nint Pread(int fd, byte* buffer, nuint count, long offset);
}
