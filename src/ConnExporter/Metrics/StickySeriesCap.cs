namespace ConnExporter.Metrics;

/// <summary>
/// Bounds counter families whose label sets come and go, without breaking monotonicity: a
/// label set that got its own series keeps it for the exporter's lifetime, and one that was
/// folded into <c>other</c> stays folded. (<see cref="SeriesCap"/> picks the heaviest per
/// scrape, so a counter could move between its own series and <c>other</c> and both would
/// drop.) Admission is in order of first appearance, the heaviest newcomers of a scrape first;
/// the sets it remembers are bounded by the kernel map and the retired counts that feed it.
/// Thread-safe: concurrent scrapes share one admission history.
/// </summary>
public sealed class StickySeriesCap<TKey> where TKey : notnull
{
    private readonly string[] _metrics;
    private readonly DroppedSeries _dropped;
    private readonly HashSet<TKey> _admitted = [];
    private readonly HashSet<TKey> _folded = [];
    private readonly Lock _gate = new();

    /// <param name="metrics">The families that share these label sets: each counts the folded
    /// sets in <c>conn_exporter_series_dropped_total{metric}</c>.</param>
    public StickySeriesCap(int max, DroppedSeries dropped, params string[] metrics)
    {
        Max = max;
        _dropped = dropped;
        _metrics = metrics;
        foreach (var m in metrics) dropped.Register(m);
    }

    public int Max { get; }

    /// <summary>
    /// At most <see cref="Max"/> series: the admitted label sets, and <paramref name="otherKey"/>
    /// holding the merge of the folded ones when there are any.
    /// </summary>
    public List<KeyValuePair<TKey, TValue>> Apply<TValue>(
        Dictionary<TKey, TValue> series, Func<TValue, double> weight, TKey otherKey, Func<TValue, TValue, TValue> merge)
    {
        var result = new List<KeyValuePair<TKey, TValue>>(Math.Min(series.Count, Max));
        bool anyFolded = false;
        TValue other = default!;
        int folded = 0;
        lock (_gate)
        {
            int room = Math.Max(Max - 1, 0); // the last slot is other's
            foreach (var kv in series.Where(kv => !_admitted.Contains(kv.Key) && !_folded.Contains(kv.Key))
                         .OrderByDescending(kv => weight(kv.Value)).ToList())
            {
                if (_admitted.Count < room && !EqualityComparer<TKey>.Default.Equals(kv.Key, otherKey)) _admitted.Add(kv.Key);
                else _folded.Add(kv.Key);
            }
            foreach (var kv in series)
            {
                if (_admitted.Contains(kv.Key))
                {
                    result.Add(kv);
                    continue;
                }
                other = anyFolded ? merge(other, kv.Value) : kv.Value;
                anyFolded = true;
                folded++;
            }
        }
        if (anyFolded) result.Add(new(otherKey, other));
        foreach (var m in _metrics) _dropped.Add(m, folded);
        return result;
    }
}
