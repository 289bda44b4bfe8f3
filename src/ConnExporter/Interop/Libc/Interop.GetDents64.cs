using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// <c>getdents64(2)</c>: fills <paramref name="buffer"/> with <c>struct linux_dirent64</c>
    /// records (see <c>DirectoryEntries</c>). glibc exports the wrapper since 2.30, which spares
    /// us per-architecture syscall numbers (217 on x86_64, 61 on arm64).
    /// </summary>
    /// <returns>Bytes filled, 0 at the end of the directory, -1 with errno set.</returns>
    [LibraryImport(Libraries.Libc, EntryPoint = "getdents64", SetLastError = true)]
    internal static unsafe partial nint GetDents64(int fd, byte* buffer, nuint count);
}
