using System.Globalization;
using ConnExporter.Inventory;

namespace ConnExporter.Systemd;

/// <summary>
/// The one-line <c>STATUS=</c> <c>systemctl status</c> shows, e.g.
/// <c>1234 sockets via netlink in 12 ms; last scrape 2s ago</c> or
/// <c>collection failing: …; last success 5m ago; last scrape never</c>.
/// </summary>
public static class ServiceStatusLine
{
    public static string Format(CollectionResult? last, DateTimeOffset? lastSuccess, TimeSpan? sinceScrape, DateTimeOffset now)
    {
        string scrape = "last scrape " + (sinceScrape is { } s ? Age(s) + " ago" : "never");
        if (last is null) return "starting: first collection running; " + scrape;
        if (last.Snapshot is { } snapshot)
            return string.Create(CultureInfo.InvariantCulture,
                $"{snapshot.Connections.Count} sockets via {snapshot.Stats.Source} in {last.Duration.TotalMilliseconds:F0} ms; {scrape}");
        string success = "last success " + (lastSuccess is { } at ? Age(now - at) + " ago" : "never");
        return $"collection failing: {Shorten(last.Error?.Message ?? "unknown error")}; {success}; {scrape}";
    }

    /// <summary>Whole seconds under two minutes, then minutes, then hours: a status line, not a log.</summary>
    internal static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero) age = TimeSpan.Zero;
        if (age < TimeSpan.FromMinutes(2)) return ((long)age.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
        if (age < TimeSpan.FromHours(2)) return ((long)age.TotalMinutes).ToString(CultureInfo.InvariantCulture) + "m";
        return ((long)age.TotalHours).ToString(CultureInfo.InvariantCulture) + "h";
    }

    private static string Shorten(string message)
    {
        var line = message.ReplaceLineEndings(" ");
        return line.Length <= 120 ? line : line[..117] + "...";
    }
}
