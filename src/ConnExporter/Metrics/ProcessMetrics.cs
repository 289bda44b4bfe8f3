using System.Globalization;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// The standard <c>process_*</c> family every Prometheus exporter exposes about itself, read from
/// this process's own procfs entries (the same names and meanings as client_golang's collector).
/// </summary>
public sealed class ProcessMetrics
{
    private readonly string _self;
    private readonly double _startTimeSeconds;

    public ProcessMetrics(string procfsRoot)
    {
        _self = Path.Combine(procfsRoot, "self");
        using var me = System.Diagnostics.Process.GetCurrentProcess();
        _startTimeSeconds = new DateTimeOffset(me.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
    }

    /// <summary>
    /// Writes what could be read. Every value is read before any family is begun, so a file that
    /// is missing or malformed (a garbage <c>--path.procfs</c>) drops its families, never the
    /// scrape or half a family.
    /// </summary>
    public void Write(ExpositionWriter writer)
    {
        var memory = ReadStatMemory();
        int? openFds = CountOpenFds();
        ulong? maxFds = ReadMaxFds();

        writer.BeginFamily("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", MetricType.Counter);
        writer.Sample("process_cpu_seconds_total", Environment.CpuUsage.TotalTime.TotalSeconds);

        if (memory is var (virtualBytes, residentPages))
        {
            writer.BeginFamily("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType.Gauge);
            writer.Sample("process_resident_memory_bytes", residentPages * (ulong)Environment.SystemPageSize);
            writer.BeginFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType.Gauge);
            writer.Sample("process_virtual_memory_bytes", virtualBytes);
        }

        if (openFds is { } open)
        {
            writer.BeginFamily("process_open_fds", "Number of open file descriptors.", MetricType.Gauge);
            writer.Sample("process_open_fds", (ulong)open);
        }
        if (maxFds is { } max)
        {
            writer.BeginFamily("process_max_fds", "Maximum number of open file descriptors.", MetricType.Gauge);
            writer.Sample("process_max_fds", max);
        }

        writer.BeginFamily("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", MetricType.Gauge);
        writer.Sample("process_start_time_seconds", _startTimeSeconds);
    }

    /// <summary>vsize (field 23) and rss in pages (field 24) of /proc/self/stat; null when unreadable.</summary>
    private (ulong Virtual, ulong ResidentPages)? ReadStatMemory()
    {
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Combine(_self, "stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // Fields after the comm's closing parenthesis start at field 3 (state).
        int close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 > stat.Length) return null;
        var fields = stat[(close + 2)..].Split(' ');
        return fields.Length > 21
            && ulong.TryParse(fields[20], NumberStyles.None, CultureInfo.InvariantCulture, out ulong virtualBytes)
            && ulong.TryParse(fields[21], NumberStyles.None, CultureInfo.InvariantCulture, out ulong residentPages)
            ? (virtualBytes, residentPages)
            : null;
    }

    private int? CountOpenFds()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(Path.Combine(_self, "fd")).Count();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private ulong? ReadMaxFds()
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(_self, "limits")))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                var parts = line[14..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length > 0 && ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
