internal static partial class Interop
{
    /// <summary>The errno values this program reacts to (asm-generic/errno-base.h, errno.h).</summary>
    internal enum Errno
    {
        EPERM = 1,
        ENOENT = 2,
        ESRCH = 3,
        EINTR = 4,
        EBADF = 9,
        EAGAIN = 11,
        ENOMEM = 12,
        EACCES = 13,
        EINVAL = 22,
        ENFILE = 23,
        EMFILE = 24,
        ENOTDIR = 20,
        ENOSPC = 28,
        ENAMETOOLONG = 36,
        ENOBUFS = 105,
        EPROTONOSUPPORT = 93,
        EOPNOTSUPP = 95,
        EAFNOSUPPORT = 97,
        EADDRINUSE = 98,
    }
}
