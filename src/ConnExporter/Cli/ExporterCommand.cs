using ConnExporter.Inventory;
using ConnExporter.Metrics;
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

    public static async Task<int> RunAsync(FlagSet flags)
    {
        var dropped = new DroppedSeries();
        var views = ExporterFlags.Views(flags, dropped);
        var telemetryPath = flags.GetString(ExporterFlags.TelemetryPath)!;
        if (!telemetryPath.StartsWith('/'))
            throw new CommandLineException($"invalid value '{telemetryPath}' for flag '--{ExporterFlags.TelemetryPath}': must start with /");
        var settings = new ExporterServer.Settings(
            ListenAddress.Resolve(flags, ExporterFlags.ListenAddress, Environment.GetEnvironmentVariable("PORT")),
            telemetryPath,
            flags.GetInt(ExporterFlags.MaxRequests, 0))
        {
            WebConfigFile = flags.GetString(ExporterFlags.WebConfigFile),
        };
        var procfs = CommonFlags.ProcfsRoot(flags);
        var options = new InventoryOptions(
            Source: flags.GetString(CommonFlags.Source)!,
            ProcfsRoot: procfs,
            ResolveOwners: views.Any(v => v.NeedsOwners),
            WatchInterfaces: true);

        using var loggers = CommonFlags.CreateLoggerFactory(flags);
        var logger = loggers.CreateLogger("exporter");
        using var inventory = new InventoryCollector(options, loggers.CreateLogger("inventory"));
        var collection = new SharedCollection(inventory.Take);
        var process = flags.GetBool(ExporterFlags.DisableExporterMetrics) ? null : new ProcessMetrics(procfs);
        var renderer = new ScrapeRenderer(views, dropped, process, loggers.CreateLogger("scrape"));
        var health = new ExporterHealth(collection, StuckAfter);

        await using var app = ExporterServer.Build(settings, collection, renderer, health, loggers);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            logger.LogError("cannot listen on {Addresses}: {Reason}", string.Join(", ", settings.Addresses), e.Message);
            return 1;
        }
        health.MarkListening();
        logger.LogInformation("listening on {Addresses}, collectors: {Collectors}",
            string.Join(", ", settings.Addresses), string.Join(",", views.Select(v => v.Name)));

        // The first collection makes the exporter ready; its failure is logged, not fatal.
        var first = await collection.CollectAsync();
        if (first.Error is not null)
            logger.LogError("first collection failed: {Reason}", first.Error.Message);
        else
            logger.LogInformation("first collection: {Sockets} sockets via {Source} in {Ms:F1} ms",
                first.Snapshot!.Connections.Count, first.Snapshot.Stats.Source, first.Duration.TotalMilliseconds);

        await app.WaitForShutdownAsync();
        logger.LogInformation("stopped");
        return 0;
    }
}
