using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// <c>openat(2)</c>. Used relative to an open <c>/proc/&lt;pid&gt;</c> directory so every file
    /// read for one process belongs to the same process even if its pid is reused meanwhile (the
    /// directory descriptor pins the task; reads through it fail with ESRCH once it is gone).
    /// The variadic mode argument is omitted: it is only read with O_CREAT/O_TMPFILE.
    /// </summary>
    /// <returns>The new descriptor, or -1 with errno set.</returns>
    [LibraryImport(Libraries.Libc, EntryPoint = "openat", SetLastError = true)]
    internal static unsafe partial int OpenAt(int dirFd, byte* nulTerminatedPath, OpenFlags flags);
}
