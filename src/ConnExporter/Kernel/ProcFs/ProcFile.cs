using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

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
    public static bool TryGetSize(int dirFd, ReadOnlySpan<byte> nulTerminatedName, out ulong size) =>
        TryStatx(dirFd, nulTerminatedName, Interop.StatxLayout.StatxSize, Interop.StatxLayout.SizeOffset, out size);

    /// <summary>
    /// The inode number of a file relative to <paramref name="dirFd"/>, without following a
    /// final symlink (a cgroup directory's is its cgroup id). False when statx fails or does not
    /// report it.
    /// </summary>
    public static bool TryGetInode(int dirFd, ReadOnlySpan<byte> nulTerminatedName, out ulong inode) =>
        TryStatx(dirFd, nulTerminatedName, Interop.StatxLayout.StatxIno, Interop.StatxLayout.InoOffset, out inode);

    /// <summary>One 64-bit field of struct statx, when the kernel reports it (its bit in stx_mask).</summary>
    private static unsafe bool TryStatx(int dirFd, ReadOnlySpan<byte> nulTerminatedName, uint field, int offset, out ulong value)
    {
        const int AtSymlinkNoFollow = 0x100; // linux/fcntl.h
        if (nulTerminatedName.IsEmpty || nulTerminatedName[^1] != 0)
            throw new ArgumentException("name must end with NUL", nameof(nulTerminatedName));
        value = 0;
        Span<byte> statx = stackalloc byte[Interop.StatxLayout.Size];
        int result;
        fixed (byte* name = nulTerminatedName)
        fixed (byte* buffer = statx)
            result = Interop.Statx(dirFd, name, AtSymlinkNoFollow, field, buffer);
        if (result != 0) return false;
        // Host byte order, like every kernel-filled struct.
        uint mask = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt32LittleEndian(statx[Interop.StatxLayout.MaskOffset..])
            : BinaryPrimitives.ReadUInt32BigEndian(statx[Interop.StatxLayout.MaskOffset..]);
        if ((mask & field) == 0) return false;
        value = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt64LittleEndian(statx[offset..])
            : BinaryPrimitives.ReadUInt64BigEndian(statx[offset..]);
        return true;
    }

    /// <summary>The most bytes <see cref="NulTerminated"/> writes for <paramref name="path"/>.</summary>
    public static int NulTerminatedLength(string path) => Encoding.UTF8.GetMaxByteCount(path.Length) + 1;

    /// <summary>
    /// <paramref name="path"/> as the system calls take it: UTF-8 and a NUL, written into
    /// <paramref name="buffer"/> (<see cref="NulTerminatedLength"/> bytes).
    /// </summary>
    public static ReadOnlySpan<byte> NulTerminated(string path, Span<byte> buffer)
    {
        int n = Encoding.UTF8.GetBytes(path, buffer);
        buffer[n] = 0;
        return buffer[..(n + 1)];
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
