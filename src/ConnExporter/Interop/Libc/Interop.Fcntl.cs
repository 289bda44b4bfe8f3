using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// <c>fcntl(2)</c> with an int argument (F_GETFD/F_SETFD, F_GETPIPE_SZ/F_SETPIPE_SZ). Declared non-variadic: on the
    /// Linux ABIs .NET runs on an int vararg is passed exactly like a fixed int parameter.
    /// </summary>
    /// <returns>The command's result, or -1 with errno set.</returns>
    [LibraryImport(Libraries.Libc, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command, int argument);

    /// <summary>Commands and flags of <c>fcntl</c> (include/uapi/asm-generic/fcntl.h).</summary>
    internal static class FcntlCommands
    {
        public const int GetFd = 1;     // F_GETFD
        public const int SetFd = 2;     // F_SETFD
        public const int CloseOnExec = 1; // FD_CLOEXEC
        public const int SetPipeSize = 1031; // F_SETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7)
        public const int GetPipeSize = 1032; // F_GETPIPE_SZ
    }
}
