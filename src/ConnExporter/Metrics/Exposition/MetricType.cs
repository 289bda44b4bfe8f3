namespace ConnExporter.Metrics.Exposition;

/// <summary>A metric family's type as written on its <c># TYPE</c> line.</summary>
public enum MetricType
{
    Counter,
    Gauge,
    Histogram,

    /// <summary>Written <c>untyped</c> in text 0.0.4 and <c>unknown</c> in OpenMetrics.</summary>
    Unknown,
}
