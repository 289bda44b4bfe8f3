using System.Runtime.InteropServices;

namespace ConnExporter.Kernel;

/// <summary>
/// A file descriptor closed at the end of a <c>using</c> scope. Deliberately not a SafeHandle:
/// these descriptors live for a few syscalls on one thread (a <c>/proc/&lt;pid&gt;</c> walk opens
/// three per process per scan), a ref struct cannot escape that scope, and it costs no
/// allocation. Anything that keeps a descriptor beyond one method must use a SafeHandle instead.
/// </summary>
internal ref struct ScopedFileDescriptor
{
    private int _fd;

    private ScopedFileDescriptor(int fd) => _fd = fd;

    public readonly int Value => _fd;

    /// <summary>
    /// Opens <paramref name="nulTerminatedPath"/> relative to <paramref name="dirFd"/>
    /// (<see cref="Interop.AtFdCwd"/> for the working directory); always adds O_CLOEXEC.
    /// </summary>
    public static unsafe bool TryOpenAt(
        int dirFd, ReadOnlySpan<byte> nulTerminatedPath, Interop.OpenFlags flags,
        out ScopedFileDescriptor descriptor, out Interop.Errno error)
    {
        if (nulTerminatedPath.IsEmpty || nulTerminatedPath[^1] != 0)
            throw new ArgumentException("path must end with NUL", nameof(nulTerminatedPath));
        int fd;
        fixed (byte* path = nulTerminatedPath)
            fd = Interop.OpenAt(dirFd, path, flags | Interop.OpenFlags.O_CLOEXEC);
        if (fd < 0)
        {
            descriptor = new ScopedFileDescriptor(-1);
            error = (Interop.Errno)Marshal.GetLastPInvokeError();
            return false;
        }
        descriptor = new ScopedFileDescriptor(fd);
        error = 0;
        return true;
    }

    /// <summary>Opens a directory for <see cref="ProcFs.DirectoryEntries"/> or *at() calls.</summary>
    public static bool TryOpenDirectoryAt(
        int dirFd, ReadOnlySpan<byte> nulTerminatedPath,
        out ScopedFileDescriptor descriptor, out Interop.Errno error) =>
        TryOpenAt(dirFd, nulTerminatedPath, Interop.OpenFlags.O_RDONLY | Interop.O_DIRECTORY, out descriptor, out error);

    public void Dispose()
    {
        if (_fd >= 0)
        {
            // close(2) on Linux releases the descriptor even when it reports an error: never retry.
            _ = Interop.Close(_fd);
            _fd = -1;
        }
    }
}
