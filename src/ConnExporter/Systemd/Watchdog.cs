using Microsoft.Extensions.Logging;

namespace ConnExporter.Systemd;

/// <summary>
/// Sends <c>WATCHDOG=1</c> every half interval (sd_watchdog_enabled(3) advises pinging at
/// least that often), but only while <see cref="_problem"/> says the exporter works. When it
/// does not, the pings stop and systemd kills and restarts the service after the interval;
/// a stopped or wedged process stops them too, because this loop is part of it.
/// </summary>
public sealed class Watchdog : IAsyncDisposable
{
    private readonly NotifySocket _notify;
    private readonly Func<string?> _problem;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _pings;

    /// <param name="notify">Where pings go.</param>
    /// <param name="interval">systemd's <c>WATCHDOG_USEC</c>.</param>
    /// <param name="problem">Null while healthy, else why not (logged once per unhealthy spell).</param>
    /// <param name="logger">Where the transitions are told.</param>
    public Watchdog(NotifySocket notify, TimeSpan interval, Func<string?> problem, ILogger logger)
    {
        _notify = notify;
        _problem = problem;
        _logger = logger;
        Interval = interval;
    }

    public TimeSpan Interval { get; }

    public TimeSpan PingEvery => Interval / 2;

    /// <summary>Pings sent so far.</summary>
    public long Pings => Interlocked.Read(ref _pings);

    public void Start() => _loop ??= Task.Run(RunAsync);

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(PingEvery);
        bool withholding = false;
        do
        {
            var problem = SafeProblem();
            if (problem is null)
            {
                if (withholding) _logger.LogInformation("watchdog: healthy again, pinging systemd");
                withholding = false;
                if (_notify.Send(NotifyMessage.Watchdog)) Interlocked.Increment(ref _pings);
            }
            else if (!withholding)
            {
                withholding = true;
                _logger.LogError("watchdog: withholding pings, systemd will restart the service within {Interval}s: {Problem}",
                    Interval.TotalSeconds, problem);
            }
        }
        while (await WaitAsync(timer));
    }

    private string? SafeProblem()
    {
        try
        {
            return _problem();
        }
        catch (Exception e)
        {
            return "health check failed: " + e.Message;
        }
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
