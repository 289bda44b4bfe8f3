using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// <c>readlinkat(2)</c>: the link target is written without a terminating NUL. Relative to an
    /// open <c>/proc/&lt;pid&gt;/fd</c> directory the kernel resolves just the fd number, not the
    /// whole path, for each link.
    /// </summary>
    /// <returns>Bytes written (truncated silently at <paramref name="size"/>), -1 with errno set.</returns>
    [LibraryImport(Libraries.Libc, EntryPoint = "readlinkat", SetLastError = true)]
    internal static unsafe partial nint ReadLinkAt(int dirFd, byte* nulTerminatedPath, byte* buffer, nuint size);
}
