namespace ConnExporter.Logging;

/// <summary>The values of <c>--log.format</c>, as Prometheus exporters name them.</summary>
public enum LogFormat
{
    Logfmt,
    Json,
}
