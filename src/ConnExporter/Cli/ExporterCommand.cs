using ConnExporter.Inventory;
using ConnExporter.Kernel.Ebpf;
using ConnExporter.Metrics;
using ConnExporter.Systemd;
using ConnExporter.Web;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Cli;

/// <summary>The default command: serve /metrics until stopped.</summary>
public static class ExporterCommand
{
    public const string Synopsis = "[<flags>]\n       conn-exporter connections [<flags>]";

    /// <summary>A collection running longer than this makes the exporter not alive.</summary>
    private static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(2);

    /// <summary>How often a failing collection is retried before the exporter is first ready.</summary>
    private static readonly TimeSpan RetryReadyEvery = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(FlagSet flags)
    {
        var dropped = new DroppedSeries();
        var views = ExporterFlags.Views(flags, dropped);
        var telemetryPath = flags.GetString(ExporterFlags.TelemetryPath)!;
        if (!telemetryPath.StartsWith('/'))
            throw new CommandLineException($"invalid value '{telemetryPath}' for flag '--{ExporterFlags.TelemetryPath}': must start with /");
        var passed = PassedSockets(flags);
        var scrapes = new ScrapeClock();
        var settings = new ExporterServer.Settings(
            passed.Sockets.Count > 0 ? [] : ListenAddress.Resolve(flags, ExporterFlags.ListenAddress, Environment.GetEnvironmentVariable("PORT")),
            telemetryPath,
            flags.GetInt(ExporterFlags.MaxRequests, 0))
        {
            Sockets = passed.Sockets,
            Scrapes = scrapes,
            WebConfigFile = flags.GetString(ExporterFlags.WebConfigFile),
            Ui = !flags.GetBool(ExporterFlags.DisableUi),
        };
        var procfs = CommonFlags.ProcfsRoot(flags);
        var options = InventoryOptionsFor(views, flags.GetString(CommonFlags.Source)!, procfs);
        options = options with
        {
            Namespaces = options.NamespaceSelection.Excluding(ExporterFlags.NetnsExcluded(flags)),
            NamespaceRead = CommonFlags.NamespaceRead(flags),
            Rootfs = CommonFlags.Rootfs(flags),
            Conntrack = ExporterFlags.ConntrackEnabled(flags),
        };

        using var loggers = CommonFlags.CreateLoggerFactory(flags);
        var logger = loggers.CreateLogger("exporter");
        if (passed.Ignored is not null) logger.LogDebug("socket activation variables ignored: {Reason}", passed.Ignored);
        // Everything a user can get wrong is checked before anything is attached or loaded: a bad
        // --web.config.file fails with its one line before the eBPF programs are loaded.
        settings = settings with { Security = ExporterServer.LoadSecurity(settings.WebConfigFile, loggers) };
        using var ebpf = StartEbpf(flags, views, dropped, procfs, options.Rootfs, loggers);
        using var inventory = new InventoryCollector(options, loggers.CreateLogger("inventory"));
        var collection = new SharedCollection(inventory.Take);
        var process = flags.GetBool(ExporterFlags.DisableExporterMetrics) ? null : new ProcessMetrics(procfs);
        var renderer = new ScrapeRenderer(views, dropped, process, loggers.CreateLogger("scrape"))
        {
            SelfMetrics = [settings.Security.AuthMetrics],
        };
        var health = new ExporterHealth(collection, StuckAfter);

        using var notify = NotifySocket.FromEnvironment();
        var reloads = new ReloadHooks();
        reloads.Register("interfaces", () =>
        {
            inventory.RefreshInterfaces();
            logger.LogInformation("interfaces: re-read at the next collection");
        });
        await using var lifecycle = new ServiceLifecycle(notify, reloads,
            () => ServiceStatusLine.Format(collection.Last, collection.LastSuccess, scrapes.SinceLast, DateTimeOffset.UtcNow),
            loggers.CreateLogger("systemd"));

        await using var app = ExporterServer.Build(settings with { Reloads = reloads }, collection, renderer, health, loggers);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            logger.LogError("cannot listen on {Addresses}: {Reason}", Describe(settings), e.Message);
            return 1;
        }
        health.MarkListening();
        var stopping = app.Lifetime.ApplicationStopping;
        stopping.Register(lifecycle.Stopping);
        lifecycle.HandleSignals(app.Lifetime.StopApplication);
        logger.LogInformation("listening on {Addresses}, collectors: {Collectors}",
            Describe(settings), string.Join(",", views.Select(v => v.Name)));
        if (passed.Sockets.Count > 0 && (flags.IsSet(ExporterFlags.ListenAddress) || Environment.GetEnvironmentVariable("PORT") is { Length: > 0 }))
            logger.LogWarning("systemd passed listening sockets: --{Flag} and PORT are not used", ExporterFlags.ListenAddress);

        // The watchdog pings only while collections complete; the heartbeat makes sure one runs.
        var watchdogInterval = notify is null ? null : WatchdogSettings.FromEnvironment();
        await using var heartbeat = watchdogInterval is { } interval ? new CollectionHeartbeat(collection, health, interval) : null;
        await using var watchdog = heartbeat is null ? null
            : new Watchdog(notify!, watchdogInterval!.Value, heartbeat.Problem, loggers.CreateLogger("systemd"));
        if (watchdog is not null)
        {
            heartbeat!.Start();
            watchdog.Start();
            logger.LogInformation("watchdog: pinging every {Ping:F1}s while collections complete (one at least every {Period:F0}s)",
                watchdog.PingEvery.TotalSeconds, heartbeat.Period.TotalSeconds);
        }
        lifecycle.StartStatusUpdates();
        var readiness = BecomeReadyAsync(lifecycle, collection, logger, stopping);

        await app.WaitForShutdownAsync();
        try
        {
            await readiness;
        }
        catch (OperationCanceledException)
        {
        }
        logger.LogInformation("stopped");
        return 0;
    }

    /// <summary>
    /// What the enabled views need, and no more: owners (the /proc walk) and tcp_info (a third
    /// of the dump) are asked for only when some view reads them.
    /// </summary>
    internal static InventoryOptions InventoryOptionsFor(IEnumerable<ISnapshotView> views, string source, string procfs) => new(
        Source: source,
        ProcfsRoot: procfs,
        ResolveOwners: views.Any(v => v.NeedsOwners),
        WatchInterfaces: true,
        TcpInfo: views.Any(v => v.NeedsTcpInfo),
        Namespaces: views.Any(v => v is NetnsView) ? NamespaceSelection.All : NamespaceSelection.HostOnly);

    /// <summary>
    /// The first successful collection makes the exporter ready (READY=1); a failure is logged
    /// and retried, not fatal.
    /// </summary>
    private static async Task BecomeReadyAsync(ServiceLifecycle lifecycle, SharedCollection collection, ILogger logger, CancellationToken stopping)
    {
        var first = await lifecycle.ReadyWhenCollectedAsync(collection, RetryReadyEvery, stopping);
        logger.LogInformation("first collection: {Sockets} sockets via {Source} in {Ms:F1} ms",
            first.Snapshot!.Connections.Count, first.Snapshot.Stats.Source, first.Duration.TotalMilliseconds);
    }

    /// <summary>
    /// Loads the eBPF programs when the collector is on. Failing to (no CAP_BPF, no BTF) is one
    /// warning at start, not fatal: the collector then reports collector_success 0.
    /// </summary>
    private static EbpfCollector? StartEbpf(FlagSet flags, List<ISnapshotView> views, DroppedSeries dropped, string procfs, string rootfs, ILoggerFactory loggers)
    {
        if (!ExporterFlags.IsEnabled(flags, "ebpf", byDefault: true)) return null;
        var ebpf = EbpfCollector.TryStart(loggers.CreateLogger("ebpf"),
            new EbpfOptions(PerPid: flags.GetBool(ExporterFlags.EbpfPerPid), ProcfsRoot: procfs, Traffic: flags.GetBool(ExporterFlags.EbpfTraffic), Rootfs: rootfs,
                Conntrack: ExporterFlags.ConntrackEnabled(flags)),
            out var unavailable);
        var traffic = new EbpfView.TrafficSettings(flags.GetInt(ExporterFlags.EbpfTrafficMaxSeries, 1),
            NamedNetwork.ParseList(flags.GetAll(ExporterFlags.PeersNetworks), ExporterFlags.PeersNetworks),
            ActualDestinations: ExporterFlags.ConntrackEnabled(flags));
        views.Add(new EbpfView(ebpf, unavailable, flags.GetInt(ExporterFlags.EbpfMaxSeries, 1), dropped, traffic));
        return ebpf;
    }

    /// <summary>Sockets from systemd, checked against what the flags and TLS setup can serve.</summary>
    private static ListenFds PassedSockets(FlagSet flags)
    {
        ListenFds passed;
        try
        {
            passed = ListenFds.FromEnvironment();
        }
        catch (FormatException e)
        {
            throw new CommandLineException("socket activation: " + e.Message);
        }
        if (passed.Sockets.Count == 0 && flags.GetBool(ExporterFlags.SystemdSocket))
            throw new CommandLineException(
                $"--{ExporterFlags.SystemdSocket}: systemd passed no sockets ({passed.Ignored ?? "LISTEN_FDS is not set"}); start it from a .socket unit or drop the flag");
        return passed;
    }

    private static string Describe(ExporterServer.Settings settings) => settings.Sockets.Count > 0
        ? "systemd sockets " + string.Join(", ", settings.Sockets)
        : string.Join(", ", settings.Addresses);
}
