using System.Collections.Concurrent;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// <c>conn_exporter_series_dropped_total{metric}</c>: series folded into an <c>other</c> bucket
/// because a view hit its cap, summed over scrapes. Every capped metric is registered at start so
/// its counter exists (at 0) before the first drop.
/// </summary>
public sealed class DroppedSeries
{
    public const string MetricName = "conn_exporter_series_dropped_total";

    private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);

    public void Register(string metric) => _totals.TryAdd(metric, 0);

    public void Add(string metric, long count) => _totals.AddOrUpdate(metric, count, (_, total) => total + count);

    public long Get(string metric) => _totals.GetValueOrDefault(metric);

    public void Write(ExpositionWriter writer)
    {
        if (_totals.IsEmpty) return;
        writer.BeginFamily(MetricName, "Series folded into the other bucket because a metric reached its --collector.<name>.max-series cap.", MetricType.Counter);
        foreach (var (metric, total) in _totals.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            writer.Sample(MetricName, [new Label("metric", metric)], (ulong)total);
    }
}
