namespace ConnExporter.Metrics.Exposition;

/// <summary>The text formats the exporter can write; chosen per scrape by <see cref="FormatNegotiation"/>.</summary>
public enum ExpositionFormat
{
    /// <summary>Prometheus text format 0.0.4: the default and the fallback.</summary>
    PrometheusText004,

    /// <summary>OpenMetrics 1.0.0 text: counters' metadata drop <c>_total</c>, the body ends with <c># EOF</c>.</summary>
    OpenMetrics100,
}
