using System.Runtime.InteropServices;
using ConnExporter.Inventory;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Systemd;

/// <summary>
/// The daemon's conversation with its service manager: <c>READY=1</c> once serving,
/// a periodic <c>STATUS=</c>, <c>RELOADING=1</c>…<c>READY=1</c> around a SIGHUP reload and
/// <c>STOPPING=1</c> on SIGTERM. Without <c>$NOTIFY_SOCKET</c> the signals still work; nothing is sent.
/// </summary>
public sealed class ServiceLifecycle : IAsyncDisposable
{
    public static readonly TimeSpan DefaultStatusEvery = TimeSpan.FromSeconds(10);

    private readonly NotifySocket? _notify;
    private readonly ReloadHooks _reloads;
    private readonly Func<string> _status;
    private readonly ILogger _logger;
    private readonly TimeSpan _statusEvery;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PosixSignalRegistration> _signals = [];
    private Task? _statusLoop;
    private volatile bool _ready;
    private int _stopping;

    /// <param name="notify">The manager's socket; null when not run by one.</param>
    /// <param name="reloads">What SIGHUP reloads.</param>
    /// <param name="status">The current status line (see <see cref="ServiceStatusLine"/>).</param>
    /// <param name="logger">Where lifecycle events are told.</param>
    /// <param name="statusEvery">How often STATUS= is refreshed.</param>
    public ServiceLifecycle(NotifySocket? notify, ReloadHooks reloads, Func<string> status, ILogger logger, TimeSpan? statusEvery = null)
    {
        _notify = notify;
        _reloads = reloads;
        _status = status;
        _logger = logger;
        _statusEvery = statusEvery ?? DefaultStatusEvery;
    }

    public bool IsReady => _ready;

    public bool IsStopping => Volatile.Read(ref _stopping) != 0;

    /// <summary>
    /// Collects until a collection succeeds, then sends <c>READY=1</c>: a failed first
    /// collection keeps the service "activating" (and <c>/-/ready</c> at 503) while it retries.
    /// </summary>
    public async Task<CollectionResult> ReadyWhenCollectedAsync(SharedCollection collection, TimeSpan retryEvery, CancellationToken cancel)
    {
        while (true)
        {
            var result = await collection.CollectAsync().WaitAsync(cancel);
            if (result.Snapshot is not null)
            {
                Ready();
                return result;
            }
            _logger.LogError("collection failed, not ready yet (retrying every {Seconds}s): {Reason}",
                retryEvery.TotalSeconds, result.Error?.Message);
            SendStatus();
            await Task.Delay(retryEvery, cancel);
        }
    }

    /// <summary>Tells the manager start-up is complete; the status follows.</summary>
    public void Ready()
    {
        if (IsStopping) return;
        _ready = true;
        Send(NotifyMessage.Ready);
        SendStatus();
    }

    /// <summary>Refreshes STATUS= every <c>statusEvery</c> until disposed or stopping.</summary>
    public void StartStatusUpdates()
    {
        if (_notify is null) return;
        _statusLoop ??= Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(_statusEvery);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                    if (!IsStopping) SendStatus();
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    /// <summary>
    /// Reloads every registered component between <c>RELOADING=1</c> (with the
    /// CLOCK_MONOTONIC time systemd's Type=notify-reload requires) and <c>READY=1</c>. Before
    /// the service is ready the components reload silently: READY=1 would be premature.
    /// </summary>
    public async Task ReloadAsync()
    {
        await _reloadGate.WaitAsync();
        try
        {
            if (IsStopping) return;
            bool announce = _ready;
            if (announce) Send(NotifyMessage.Reloading(MonotonicClock.NowMicroseconds()));
            _logger.LogInformation("reloading: {Components}", string.Join(", ", _reloads.Names));
            var failed = _reloads.ReloadAll(_logger);
            if (failed.Count == 0) _logger.LogInformation("reloaded");
            else _logger.LogWarning("reloaded, except {Components}", string.Join(", ", failed));
            if (announce && !IsStopping)
            {
                Send(NotifyMessage.Ready);
                SendStatus();
            }
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    /// <summary>Tells the manager we are shutting down; only the first call sends.</summary>
    public void Stopping()
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0) return;
        Send(NotifyMessage.Stopping);
    }

    /// <summary>
    /// SIGTERM: STOPPING=1, then <paramref name="stop"/> (a graceful drain). SIGHUP: reload,
    /// instead of the default of terminating. Registered until disposed.
    /// </summary>
    public void HandleSignals(Action stop)
    {
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            if (!IsStopping) _logger.LogInformation("SIGTERM: stopping");
            Stopping();
            stop();
        }));
        _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = Task.Run(ReloadAsync);
        }));
    }

    private void SendStatus()
    {
        if (_notify is null) return;
        string line;
        try
        {
            line = _status();
        }
        catch (Exception e)
        {
            line = "status unavailable: " + e.Message;
        }
        Send(NotifyMessage.Status(line));
    }

    private void Send(string message)
    {
        if (_notify is null || _notify.Send(message)) return;
        _logger.LogDebug("could not notify {Socket}: {Message}", _notify.Path, message);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var signal in _signals) signal.Dispose();
        _signals.Clear();
        await _stop.CancelAsync();
        if (_statusLoop is not null) await _statusLoop;
        _stop.Dispose();
        _reloadGate.Dispose();
    }
}
