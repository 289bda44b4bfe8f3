using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary><c>CLONE_NEWNET</c> (linux/sched.h): <see cref="Setns"/> may only enter a network namespace.</summary>
    internal const int CLONE_NEWNET = 0x40000000;

    /// <summary>
    /// <c>setns(2)</c>: moves the calling thread (not the process) into the namespace the
    /// descriptor names. Entering a network namespace needs CAP_SYS_ADMIN in the namespace's
    /// owning user namespace and in the caller's.
    /// </summary>
    /// <returns>0, or -1 with errno set (EPERM without CAP_SYS_ADMIN).</returns>
    [LibraryImport(Libraries.Libc, EntryPoint = "setns", SetLastError = true)]
    internal static partial int Setns(int fd, int namespaceType);
}
