using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ConnExporter.Kernel.ProcFs;

/// <summary>
/// Reads small procfs files and links relative to an open directory into caller buffers.
/// procfs reports sizes of 0 or 4096 for files of any length, so files are read to end of file
/// (or a full buffer) instead of trusting stat.
/// </summary>
internal static class ProcFile
{
    /// <summary>
    /// Reads the whole file, or as much as fits. <paramref name="length"/> equal to the buffer's
    /// length means the content may have been cut.
    /// </summary>
    public static unsafe bool TryRead(
        int dirFd, ReadOnlySpan<byte> nulTerminatedName, Span<byte> buffer,
        out int length, out Interop.Errno error)
    {
        length = 0;
        if (!ScopedFileDescriptor.TryOpenAt(dirFd, nulTerminatedName, Interop.OpenFlags.O_RDONLY, out var file, out error))
            return false;
        using (file)
        {
            fixed (byte* start = buffer)
            {
                while (length < buffer.Length)
                {
                    nint n = Interop.Read(file.Value, start + length, (nuint)(buffer.Length - length));
                    if (n == 0) break;
                    if (n < 0)
                    {
                        error = (Interop.Errno)Marshal.GetLastPInvokeError();
                        if (error == Interop.Errno.EINTR) continue;
                        return false;
                    }
                    length += (int)n;
                }
            }
        }
        return true;
    }

    /// <summary>
    /// The st_size of a file relative to <paramref name="dirFd"/>, without following a final
    /// symlink. False when statx fails or does not report a size.
    /// </summary>
    public static unsafe bool TryGetSize(int dirFd, ReadOnlySpan<byte> nulTerminatedName, out ulong size)
    {
        const int AtSymlinkNoFollow = 0x100; // linux/fcntl.h
        if (nulTerminatedName.IsEmpty || nulTerminatedName[^1] != 0)
            throw new ArgumentException("name must end with NUL", nameof(nulTerminatedName));
        size = 0;
        Span<byte> statx = stackalloc byte[Interop.StatxLayout.Size];
        int result;
        fixed (byte* name = nulTerminatedName)
        fixed (byte* buffer = statx)
            result = Interop.Statx(dirFd, name, AtSymlinkNoFollow, Interop.StatxLayout.StatxSize, buffer);
        if (result != 0) return false;
        // Host byte order, like every kernel-filled struct.
        uint mask = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt32LittleEndian(statx[Interop.StatxLayout.MaskOffset..])
            : BinaryPrimitives.ReadUInt32BigEndian(statx[Interop.StatxLayout.MaskOffset..]);
        if ((mask & Interop.StatxLayout.StatxSize) == 0) return false;
        size = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt64LittleEndian(statx[Interop.StatxLayout.SizeOffset..])
            : BinaryPrimitives.ReadUInt64BigEndian(statx[Interop.StatxLayout.SizeOffset..]);
        return true;
    }

    /// <summary>
    /// readlinkat into <paramref name="buffer"/>; <paramref name="length"/> equal to the
    /// buffer's length means the target may have been cut.
    /// </summary>
    public static unsafe bool TryReadLink(
        int dirFd, ReadOnlySpan<byte> nulTerminatedName, Span<byte> buffer,
        out int length, out Interop.Errno error)
    {
        if (nulTerminatedName.IsEmpty || nulTerminatedName[^1] != 0)
            throw new ArgumentException("name must end with NUL", nameof(nulTerminatedName));
        nint n;
        fixed (byte* name = nulTerminatedName)
        fixed (byte* target = buffer)
            n = Interop.ReadLinkAt(dirFd, name, target, (nuint)buffer.Length);
        if (n < 0)
        {
            length = 0;
            error = (Interop.Errno)Marshal.GetLastPInvokeError();
            return false;
        }
        length = (int)n;
        error = 0;
        return true;
    }
}
