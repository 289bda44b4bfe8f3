using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary><c>mmap(2)</c>; <see cref="MapFailed"/> with errno set on failure.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "mmap", SetLastError = true)]
    internal static unsafe partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    /// <summary><c>munmap(2)</c>; 0, or -1 with errno set.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "munmap", SetLastError = true)]
    internal static unsafe partial int Munmap(void* address, nuint length);

    internal static readonly unsafe void* MapFailed = (void*)-1;
    internal const int ProtRead = 0x1;     // PROT_READ
    internal const int MapPrivate = 0x02;  // MAP_PRIVATE
}
