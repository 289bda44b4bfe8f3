using System.Globalization;

namespace ConnExporter.Systemd;

/// <summary>
/// The service watchdog systemd asks for (<c>WatchdogSec=</c>, sd_watchdog_enabled(3)):
/// <c>WATCHDOG_USEC</c> is the interval, <c>WATCHDOG_PID</c>, when set, the process it is for.
/// </summary>
public static class WatchdogSettings
{
    public const string IntervalVariable = "WATCHDOG_USEC";
    public const string PidVariable = "WATCHDOG_PID";

    /// <summary>The interval for this process, or null when no watchdog is asked of it.</summary>
    public static TimeSpan? FromEnvironment() => Parse(
        Environment.GetEnvironmentVariable(IntervalVariable),
        Environment.GetEnvironmentVariable(PidVariable),
        Environment.ProcessId);

    /// <summary>
    /// The interval, or null when unset, zero, malformed, or meant for another process (a
    /// watchdog we cannot honour must not be half-honoured).
    /// </summary>
    public static TimeSpan? Parse(string? intervalUsec, string? pid, int ownPid)
    {
        if (!ulong.TryParse(intervalUsec, NumberStyles.None, CultureInfo.InvariantCulture, out ulong usec) || usec == 0)
            return null;
        if (!string.IsNullOrEmpty(pid)
            && (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int forPid) || forPid != ownPid))
            return null;
        return TimeSpan.FromMicroseconds(Math.Min(usec, (ulong)TimeSpan.MaxValue.TotalMicroseconds / 2));
    }
}
