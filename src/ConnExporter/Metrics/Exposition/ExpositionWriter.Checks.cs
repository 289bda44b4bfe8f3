using System.Diagnostics;

namespace ConnExporter.Metrics.Exposition;

// Debug-only checks: names are constants, so a wrong one is a programming error that the
// tests (Debug builds) must catch; Release builds pay nothing for them.
public sealed partial class ExpositionWriter
{
    [Conditional("DEBUG")]
    private static void CheckMetricName(string name)
    {
        if (!MetricName.IsValidMetricName(name))
            throw new ArgumentException($"'{name}' is not a valid metric name.", nameof(name));
    }

    [Conditional("DEBUG")]
    private static void CheckLabelName(string name)
    {
        if (!MetricName.IsValidLabelName(name))
            throw new ArgumentException($"'{name}' is not a valid label name.", nameof(name));
    }

    /// <summary>OpenMetrics counters' samples must end in <c>_total</c>; the writer derives the family name from it.</summary>
    [Conditional("DEBUG")]
    private static void CheckCounterName(string name)
    {
        if (!name.EndsWith("_total", StringComparison.Ordinal) || name.Length == "_total".Length)
            throw new ArgumentException($"Counter '{name}' must be named with its _total suffix.", nameof(name));
    }

    [Conditional("DEBUG")]
    private void SetFamilyPrefix(string name, ReadOnlySpan<char> metadataName)
    {
        _familyName = name;
        _familyPrefixLength = metadataName.Length;
    }

    /// <summary>OpenMetrics ties a sample to its family by name prefix; a foreign sample would be misread.</summary>
    [Conditional("DEBUG")]
    private void CheckSampleName(string name)
    {
        CheckMetricName(name);
        if (_familyName is not null && !name.AsSpan().StartsWith(_familyName.AsSpan(0, _familyPrefixLength), StringComparison.Ordinal))
            throw new ArgumentException($"Sample '{name}' does not belong to family '{_familyName}'.", nameof(name));
    }

    [Conditional("DEBUG")]
    private static void CheckBounds(ReadOnlySpan<double> upperBounds)
    {
        for (int i = 0; i < upperBounds.Length; i++)
        {
            if (!double.IsFinite(upperBounds[i]) || (i > 0 && upperBounds[i] <= upperBounds[i - 1]))
                throw new ArgumentException("Upper bounds must be finite and strictly ascending; +Inf is added.", nameof(upperBounds));
        }
    }
}
