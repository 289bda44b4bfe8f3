using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// <c>clock_gettime(2)</c>. Explicit rather than <c>Stopwatch</c>: systemd's
    /// <c>MONOTONIC_USEC=</c> must be CLOCK_MONOTONIC, and Stopwatch does not promise which clock it reads.
    /// </summary>
    /// <returns>0, or -1 with errno set.</returns>
    [LibraryImport(Libraries.Libc, EntryPoint = "clock_gettime", SetLastError = true)]
    internal static unsafe partial int ClockGetTime(int clockId, Timespec* time);

    /// <summary><c>CLOCK_MONOTONIC</c> (include/uapi/linux/time.h).</summary>
    internal const int ClockMonotonic = 1;

    /// <summary>
    /// <c>struct timespec</c>: <c>time_t tv_sec; long tv_nsec;</c> — both the native word on the
    /// LP64 targets .NET supports on Linux, hence <c>nint</c>.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }
}
