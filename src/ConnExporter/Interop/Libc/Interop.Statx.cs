using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// <c>statx(2)</c> (glibc ≥ 2.28). Unlike <c>struct stat</c>, <c>struct statx</c> has one
    /// layout on every architecture (include/uapi/linux/stat.h), read with
    /// <see cref="StatxLayout"/>.
    /// </summary>
    /// <returns>0, or -1 with errno set.</returns>
    [LibraryImport(Libraries.Libc, EntryPoint = "statx", SetLastError = true)]
    internal static unsafe partial int Statx(int dirFd, byte* nulTerminatedPath, int flags, uint mask, byte* buffer);

    /// <summary>Offsets and masks of <c>struct statx</c> (include/uapi/linux/stat.h).</summary>
    internal static class StatxLayout
    {
        public const int Size = 256;
        public const int MaskOffset = 0;   // __u32 stx_mask
        public const int InoOffset = 32;   // __u64 stx_ino
        public const int SizeOffset = 40;  // __u64 stx_size
        public const uint StatxIno = 0x100;  // STATX_INO
        public const uint StatxSize = 0x200; // STATX_SIZE
    }
}
