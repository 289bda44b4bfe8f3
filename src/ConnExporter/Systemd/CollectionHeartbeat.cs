using System.Diagnostics;
using ConnExporter.Inventory;
using ConnExporter.Web;

namespace ConnExporter.Systemd;

/// <summary>
/// Proof, for the watchdog, that collections still complete: when no scrape has caused one
/// within a period, it starts a background collection itself; <see cref="Problem"/> is
/// non-null when one has been running too long (a hung kernel read or /proc walk) or none has
/// completed for three periods (this loop, and so the process, is wedged).
/// </summary>
public sealed class CollectionHeartbeat : IAsyncDisposable
{
    /// <summary>The longest the exporter goes without a collection when nobody scrapes it.</summary>
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromSeconds(30);

    /// <summary>Background collections are never more frequent than this, however short the watchdog.</summary>
    public static readonly TimeSpan MinPeriod = TimeSpan.FromSeconds(1);

    private readonly SharedCollection _collection;
    private readonly ExporterHealth _health;
    private readonly TimeSpan _stuckAfter;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Task? _loop;
    private long _seenCompleted;
    private long _progressAt = Stopwatch.GetTimestamp();

    public CollectionHeartbeat(SharedCollection collection, ExporterHealth health, TimeSpan watchdogInterval)
    {
        _collection = collection;
        _health = health;
        Period = Clamp(watchdogInterval / 2, MinPeriod, MaxPeriod);
        // A collection may take as long as the watchdog interval, no longer: beyond that the
        // restart systemd does is the remedy.
        _stuckAfter = watchdogInterval < health.StuckAfter ? watchdogInterval : health.StuckAfter;
        _seenCompleted = collection.Completed;
    }

    public TimeSpan Period { get; }

    /// <summary>Background collections started so far.</summary>
    public long Started => Interlocked.Read(ref _started);
    private long _started;

    public void Start() => _loop ??= Task.Run(RunAsync);

    /// <summary>Null while collections complete, else why the watchdog should go quiet.</summary>
    public string? Problem()
    {
        var sinceProgress = Observe();
        if (!_health.IsAlive)
            return $"a collection has been running for {_collection.InFlightFor.TotalSeconds:F0}s";
        var running = _collection.InFlightFor;
        if (running >= _stuckAfter)
            return $"a collection has been running for {running.TotalSeconds:F0}s (limit {_stuckAfter.TotalSeconds:F0}s)";
        if (sinceProgress >= 3 * Period)
            return $"no collection has completed for {sinceProgress.TotalSeconds:F0}s";
        return null;
    }

    /// <summary>Notes a newly completed collection; returns the time since the last one was seen.</summary>
    private TimeSpan Observe()
    {
        lock (_gate)
        {
            long completed = _collection.Completed;
            if (completed != _seenCompleted)
            {
                _seenCompleted = completed;
                _progressAt = Stopwatch.GetTimestamp();
            }
            return Stopwatch.GetElapsedTime(_progressAt);
        }
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (Observe() >= Period && _collection.InFlightFor == TimeSpan.Zero)
                {
                    Interlocked.Increment(ref _started);
                    // Not awaited: a hung collection must not hang this loop; Problem() sees it.
                    _ = _collection.CollectAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) =>
        value < min ? min : value > max ? max : value;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
