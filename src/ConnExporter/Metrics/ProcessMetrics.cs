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

    public void Write(ExpositionWriter writer)
    {
        writer.BeginFamily("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", MetricType.Counter);
        writer.Sample("process_cpu_seconds_total", Environment.CpuUsage.TotalTime.TotalSeconds);

        var (virtualBytes, residentPages) = ReadStatMemory();
        writer.BeginFamily("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType.Gauge);
        writer.Sample("process_resident_memory_bytes", residentPages * (ulong)Environment.SystemPageSize);
        writer.BeginFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType.Gauge);
        writer.Sample("process_virtual_memory_bytes", virtualBytes);

        writer.BeginFamily("process_open_fds", "Number of open file descriptors.", MetricType.Gauge);
        writer.Sample("process_open_fds", (ulong)CountOpenFds());
        if (ReadMaxFds() is { } max)
        {
            writer.BeginFamily("process_max_fds", "Maximum number of open file descriptors.", MetricType.Gauge);
            writer.Sample("process_max_fds", max);
        }

        writer.BeginFamily("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", MetricType.Gauge);
        writer.Sample("process_start_time_seconds", _startTimeSeconds);
    }

    /// <summary>vsize (field 23) and rss in pages (field 24) of /proc/self/stat.</summary>
    private (ulong Virtual, ulong ResidentPages) ReadStatMemory()
    {
        var stat = File.ReadAllText(Path.Combine(_self, "stat"));
        // Fields after the comm's closing parenthesis start at field 3 (state).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (ulong.Parse(fields[20], CultureInfo.InvariantCulture), ulong.Parse(fields[21], CultureInfo.InvariantCulture));
    }

    private int CountOpenFds() => Directory.EnumerateFileSystemEntries(Path.Combine(_self, "fd")).Count();

    private ulong? ReadMaxFds()
    {
        foreach (var line in File.ReadLines(Path.Combine(_self, "limits")))
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
            var parts = line[14..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : null;
        }
        return null;
    }
}
