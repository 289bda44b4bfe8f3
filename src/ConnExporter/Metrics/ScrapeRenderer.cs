using System.Buffers;
using System.Diagnostics;
using ConnExporter.Cli;
using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Metrics;

/// <summary>
/// Renders one scrape: every enabled view over the collection's snapshot, then the exporter's
/// own metrics. Each view is written to a scratch buffer first and copied only if it finished,
/// so a failing view costs its own families and sets its <c>collector_success</c> to 0 — it
/// never breaks the exposition or the scrape. The views that need owners fail likewise when the
/// snapshot's owners are incomplete (<see cref="SnapshotStats.OwnersIncomplete"/>).
/// </summary>
public sealed class ScrapeRenderer
{
    public const string CollectorSuccess = "conn_exporter_collector_success";
    public const string CollectorDuration = "conn_exporter_collector_duration_seconds";
    public const string BuildInfoMetric = "conn_exporter_build_info";
    public const string Scrapes = "conn_exporter_scrapes_total";
    public const string Malformed = "conn_exporter_malformed_records_total";

    /// <summary>The pseudo-collector for reading and enriching the snapshot itself.</summary>
    public const string InventoryCollector = "inventory";

    private static readonly Snapshot EmptySnapshot = new([], new SnapshotStats("none", 0, 0, 0, false, 0), DateTimeOffset.UnixEpoch);

    private readonly IReadOnlyList<ISnapshotView> _views;
    private readonly DroppedSeries _dropped;
    private readonly ProcessMetrics? _process;
    private readonly ILogger _logger;
    private long _scrapes;
    private long _malformed;
    private CollectionResult? _lastCounted;
    private readonly Lock _countGate = new();

    public ScrapeRenderer(IReadOnlyList<ISnapshotView> views, DroppedSeries dropped, ProcessMetrics? process, ILogger logger)
    {
        _views = views;
        _dropped = dropped;
        _process = process;
        _logger = logger;
    }

    public IReadOnlyList<ISnapshotView> Views => _views;

    /// <summary>Self-metrics of other layers (the web server's authentication counters), written
    /// after the renderer's own whatever <c>--web.disable-exporter-metrics</c> says: they are
    /// security signals, not runtime facts.</summary>
    public IReadOnlyList<ISelfMetrics> SelfMetrics { get; init; } = [];

    /// <summary>Each collector's outcome in the latest scrape, for /health.</summary>
    public IReadOnlyDictionary<string, bool> LastOutcomes => _lastOutcomes;
    private volatile IReadOnlyDictionary<string, bool> _lastOutcomes = new Dictionary<string, bool>();

    /// <summary>How many collectors failed in the latest scrape.</summary>
    public int LastFailures => _lastOutcomes.Count(kv => !kv.Value);

    /// <summary>Writes the whole exposition. <paramref name="result"/> is null when the
    /// collection did not finish within the scrape's timeout.</summary>
    public void Render(CollectionResult? result, IBufferWriter<byte> output, ExpositionFormat format)
    {
        Interlocked.Increment(ref _scrapes);
        CountMalformed(result);
        var writer = new ExpositionWriter(output, format);
        var outcomes = new List<(string Collector, bool Success, double Seconds)>(_views.Count + 1);
        bool inventoryOk = result?.Snapshot is not null;
        outcomes.Add((InventoryCollector, inventoryOk, result?.Duration.TotalSeconds ?? 0));

        var snapshot = result?.Snapshot ?? EmptySnapshot;
        var scratch = new ArrayBufferWriter<byte>(4096);
        foreach (var view in _views)
        {
            // Owners cut short (out of file descriptors; the resolver logged it): a view that
            // needs them would count every socket as unowned. It fails instead, and only it.
            if ((!inventoryOk && view.NeedsSnapshot) || (view.NeedsOwners && snapshot.Stats.OwnersIncomplete))
            {
                outcomes.Add((view.Name, false, 0));
                continue;
            }
            scratch.ResetWrittenCount();
            long start = Stopwatch.GetTimestamp();
            bool ok;
            try
            {
                var viewWriter = new ExpositionWriter(scratch, format);
                view.Write(snapshot, viewWriter);
                viewWriter.Flush();
                ok = true;
            }
            catch (Kernel.Ebpf.EbpfUnavailableException e)
            {
                // Said once at start with the reason and the fix; a failed collector_success says the rest.
                ok = false;
                _logger.LogDebug("collector {Collector} unavailable: {Reason}", view.Name, e.Message);
            }
            catch (Exception e)
            {
                ok = false;
                _logger.LogError(e, "collector {Collector} failed", view.Name);
            }
            outcomes.Add((view.Name, ok, Stopwatch.GetElapsedTime(start).TotalSeconds));
            if (ok)
            {
                writer.Flush();
                output.Write(scratch.WrittenSpan);
            }
        }

        _lastOutcomes = outcomes.ToDictionary(o => o.Collector, o => o.Success, StringComparer.Ordinal);
        writer.BeginFamily(CollectorSuccess, "Whether a collector succeeded in this scrape (inventory: reading and enriching the socket snapshot).", MetricType.Gauge);
        foreach (var (collector, success, _) in outcomes)
            writer.Sample(CollectorSuccess, [new Label("collector", collector)], success ? 1UL : 0UL);
        writer.BeginFamily(CollectorDuration, "How long a collector took in this scrape, in seconds.", MetricType.Gauge);
        foreach (var (collector, _, seconds) in outcomes)
            writer.Sample(CollectorDuration, [new Label("collector", collector)], seconds);

        _dropped.Write(writer);
        writer.BeginFamily(Malformed, "Kernel records (sockets, and conntrack entries with --collector.conntrack) that could not be parsed and were skipped.", MetricType.Counter);
        writer.Sample(Malformed, (ulong)Interlocked.Read(ref _malformed));

        if (_process is not null)
        {
            writer.BeginFamily(BuildInfoMetric, "Build facts of the running exporter; always 1.", MetricType.Gauge);
            writer.Sample(BuildInfoMetric,
                [new Label("version", BuildInfo.Version), new Label("revision", BuildInfo.Revision), new Label("runtime", BuildInfo.Runtime)],
                1UL);
            writer.BeginFamily(Scrapes, "Scrapes of the metrics endpoint served, this one included.", MetricType.Counter);
            writer.Sample(Scrapes, (ulong)Interlocked.Read(ref _scrapes));
            try
            {
                _process.Write(writer);
            }
            catch (IOException e)
            {
                _logger.LogWarning(e, "could not read this process's own /proc entries");
            }
        }
        foreach (var metrics in SelfMetrics) metrics.Write(writer);
        writer.Finish();
    }

    /// <summary>Malformed records are counted once per collection, however many scrapes share it.</summary>
    private void CountMalformed(CollectionResult? result)
    {
        if (result?.Snapshot is not { } snapshot) return;
        lock (_countGate)
        {
            if (ReferenceEquals(result, _lastCounted)) return;
            _lastCounted = result;
            _malformed += snapshot.Stats.Malformed;
        }
    }
}
