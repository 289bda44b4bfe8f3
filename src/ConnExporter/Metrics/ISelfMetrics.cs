using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// Exporter self-metrics kept outside the metrics layer (the web server's authentication
/// counters, for one), written by <see cref="ScrapeRenderer"/> after its own.
/// </summary>
public interface ISelfMetrics
{
    void Write(ExpositionWriter writer);
}
