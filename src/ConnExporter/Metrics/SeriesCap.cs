namespace ConnExporter.Metrics;

/// <summary>
/// Bounds one metric's series: when a scrape has more distinct label sets than the cap, the
/// heaviest keep their own series and the rest are merged into one <c>other</c> series; how many
/// were merged is added to <see cref="DroppedSeries"/>.
/// </summary>
public sealed class SeriesCap
{
    public const string Other = "other";

    private readonly string _metric;
    private readonly DroppedSeries _dropped;

    public SeriesCap(string metric, int max, DroppedSeries dropped)
    {
        _metric = metric;
        Max = max;
        _dropped = dropped;
        dropped.Register(metric);
    }

    public int Max { get; }

    /// <summary>
    /// Returns at most <see cref="Max"/> series (the last one the <paramref name="otherKey"/>
    /// bucket when anything was folded), heaviest first by <paramref name="weight"/>.
    /// </summary>
    public IReadOnlyList<KeyValuePair<TKey, TValue>> Apply<TKey, TValue>(
        Dictionary<TKey, TValue> series, Func<TValue, double> weight, TKey otherKey, Func<TValue, TValue, TValue> merge)
        where TKey : notnull
    {
        if (series.Count <= Max) return [.. series];
        // Keep Max-1 and spend the last slot on "other", so the total stays within the cap.
        var ordered = series.OrderByDescending(kv => weight(kv.Value)).ToList();
        int keep = Math.Max(Max - 1, 0);
        var result = ordered.Take(keep).ToList();
        TValue other = ordered[keep].Value;
        for (int i = keep + 1; i < ordered.Count; i++) other = merge(other, ordered[i].Value);
        // The other key may collide with a kept series (a process really named "other"): merge.
        int existing = result.FindIndex(kv => EqualityComparer<TKey>.Default.Equals(kv.Key, otherKey));
        if (existing >= 0)
        {
            other = merge(result[existing].Value, other);
            result.RemoveAt(existing);
        }
        result.Add(new(otherKey, other));
        _dropped.Add(_metric, ordered.Count - keep);
        return result;
    }
}
