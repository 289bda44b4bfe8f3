using System.Globalization;

namespace ConnExporter.Systemd;

/// <summary>The sd_notify(3) messages this daemon sends.</summary>
public static class NotifyMessage
{
    /// <summary>Start-up is complete: listeners are up and a collection has succeeded.</summary>
    public const string Ready = "READY=1";

    /// <summary>Shutting down (SIGTERM); the manager stops expecting watchdog pings.</summary>
    public const string Stopping = "STOPPING=1";

    /// <summary>The watchdog keep-alive.</summary>
    public const string Watchdog = "WATCHDOG=1";

    /// <summary>
    /// Reloading configuration (SIGHUP). systemd ≥ 253 (Type=notify-reload) requires the
    /// CLOCK_MONOTONIC timestamp to tell this reload from an earlier one; older versions ignore it.
    /// </summary>
    public static string Reloading(ulong monotonicMicroseconds) =>
        string.Create(CultureInfo.InvariantCulture, $"RELOADING=1\nMONOTONIC_USEC={monotonicMicroseconds}");

    /// <summary>A one-line status shown by <c>systemctl status</c>; newlines would end the assignment.</summary>
    public static string Status(string text) => "STATUS=" + text.ReplaceLineEndings(" ");
}
