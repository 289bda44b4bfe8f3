using System.Diagnostics;

namespace ConnExporter.Inventory;

/// <summary>The outcome of one collection: a snapshot, or why there is none.</summary>
public sealed record CollectionResult(Snapshot? Snapshot, Exception? Error, TimeSpan Duration, DateTimeOffset FinishedAt);

/// <summary>
/// Runs at most one collection at a time: scrapes that arrive while one is in flight wait for
/// that one instead of starting their own, so N concurrent scrapes cost one kernel walk.
/// It also remembers what health checks need: whether a collection has ever succeeded and
/// whether the one in flight is stuck.
/// </summary>
public sealed class SharedCollection
{
    private readonly Func<Snapshot> _take;
    private readonly Lock _gate = new();
    private Task<CollectionResult>? _inFlight;
    private long _inFlightSince;

    public SharedCollection(Func<Snapshot> take) => _take = take;

    public CollectionResult? Last { get; private set; }

    public DateTimeOffset? LastSuccess { get; private set; }

    public long Completed => Interlocked.Read(ref _completed);
    private long _completed;

    /// <summary>Joins the collection in flight, or starts one.</summary>
    public Task<CollectionResult> CollectAsync()
    {
        lock (_gate)
        {
            if (_inFlight is { IsCompleted: false } running) return running;
            _inFlightSince = Stopwatch.GetTimestamp();
            return _inFlight = Task.Run(Run);
        }
    }

    /// <summary>How long the collection in flight has been running; zero when none is.</summary>
    public TimeSpan InFlightFor
    {
        get
        {
            lock (_gate)
            {
                return _inFlight is { IsCompleted: false } ? Stopwatch.GetElapsedTime(_inFlightSince) : TimeSpan.Zero;
            }
        }
    }

    private CollectionResult Run()
    {
        long start = Stopwatch.GetTimestamp();
        CollectionResult result;
        try
        {
            var snapshot = _take();
            result = new CollectionResult(snapshot, null, Stopwatch.GetElapsedTime(start), DateTimeOffset.UtcNow);
            LastSuccess = result.FinishedAt;
        }
        catch (Exception e)
        {
            result = new CollectionResult(null, e, Stopwatch.GetElapsedTime(start), DateTimeOffset.UtcNow);
        }
        Last = result;
        Interlocked.Increment(ref _completed);
        return result;
    }
}
