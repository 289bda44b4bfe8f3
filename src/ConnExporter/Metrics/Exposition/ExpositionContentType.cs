namespace ConnExporter.Metrics.Exposition;

/// <summary>The <c>Content-Type</c> a response in each <see cref="ExpositionFormat"/> carries.</summary>
public static class ExpositionContentType
{
    public const string PrometheusText004 = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>As the OpenMetrics 1.0 specification's "Overall Structure" requires it.</summary>
    public const string OpenMetrics100 = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    public static string For(ExpositionFormat format) => format switch
    {
        ExpositionFormat.OpenMetrics100 => OpenMetrics100,
        _ => PrometheusText004,
    };
}
