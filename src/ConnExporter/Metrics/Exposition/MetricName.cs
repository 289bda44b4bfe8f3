namespace ConnExporter.Metrics.Exposition;

/// <summary>
/// The legacy Prometheus name grammar, which both text 0.0.4 and OpenMetrics 1.0 require:
/// metric names <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>, label names <c>[a-zA-Z_][a-zA-Z0-9_]*</c>.
/// Names are constants in this exporter, so the writer checks them only in Debug builds.
/// </summary>
internal static class MetricName
{
    public static bool IsValidMetricName(ReadOnlySpan<char> name) => IsValid(name, allowColon: true);

    public static bool IsValidLabelName(ReadOnlySpan<char> name) => IsValid(name, allowColon: false);

    private static bool IsValid(ReadOnlySpan<char> name, bool allowColon)
    {
        if (name.IsEmpty)
            return false;
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = char.IsAsciiLetter(c) || c == '_' || (allowColon && c == ':') || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
                return false;
        }
        return true;
    }
}
