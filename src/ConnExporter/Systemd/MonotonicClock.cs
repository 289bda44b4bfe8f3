namespace ConnExporter.Systemd;

/// <summary>CLOCK_MONOTONIC, in the microseconds systemd's <c>MONOTONIC_USEC=</c> wants.</summary>
public static class MonotonicClock
{
    public static unsafe ulong NowMicroseconds()
    {
        Interop.Timespec time;
        if (Interop.ClockGetTime(Interop.ClockMonotonic, &time) != 0)
            throw new InvalidOperationException($"clock_gettime(CLOCK_MONOTONIC) failed: {(Interop.Errno)System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        return (ulong)time.Seconds * 1_000_000UL + (ulong)time.Nanoseconds / 1_000UL;
    }
}
