using System.Globalization;

namespace ConnExporter.Metrics.Exposition;

/// <summary>
/// Picks the exposition format from a request's <c>Accept</c> header the way Prometheus' own
/// negotiation does: the supported media range with the highest q wins, a concrete type beats a
/// wildcard at equal q, then the earlier entry wins; nothing acceptable means text 0.0.4.
/// </summary>
/// <remarks>
/// Prometheus 2.x sends
/// <c>application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1</c>
/// and 3.x the same list with descending q and <c>escaping=</c> parameters, so both get OpenMetrics 1.0.0.
/// OpenMetrics 0.0.1 is not offered. <c>text/plain;version=1.0.0</c> is served as 0.0.4: every
/// name this exporter writes is in the legacy character set, where the two formats are the same.
/// </remarks>
public static class FormatNegotiation
{
    private const string OpenMetricsType = "application/openmetrics-text";

    /// <param name="accept">The Accept header value; several header lines may be joined with commas.</param>
    public static ExpositionFormat FromAccept(ReadOnlySpan<char> accept)
    {
        var best = ExpositionFormat.PrometheusText004;
        double bestQ = 0;
        int bestSpecificity = -1;

        foreach (var rangeBounds in accept.Split(','))
        {
            var range = accept[rangeBounds];
            if (!TryMatch(range, out var format, out double q, out int specificity) || q <= 0)
                continue;
            if (q > bestQ || (q == bestQ && specificity > bestSpecificity))
            {
                best = format;
                bestQ = q;
                bestSpecificity = specificity;
            }
        }
        return best;
    }

    /// <summary>Matches one media range (<c>type/subtype;param=value;q=0.5</c>) against what we write.</summary>
    private static bool TryMatch(ReadOnlySpan<char> range, out ExpositionFormat format, out double q, out int specificity)
    {
        format = ExpositionFormat.PrometheusText004;
        q = 1;
        specificity = 0;

        ReadOnlySpan<char> mediaType = default;
        ReadOnlySpan<char> version = default;
        bool first = true;
        foreach (var partBounds in range.Split(';'))
        {
            var part = range[partBounds].Trim();
            if (first)
            {
                mediaType = part;
                first = false;
                continue;
            }
            int eq = part.IndexOf('=');
            if (eq < 0)
                continue;
            var name = part[..eq].Trim();
            var value = part[(eq + 1)..].Trim().Trim('"');
            if (name.Equals("q", StringComparison.OrdinalIgnoreCase))
            {
                if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out q))
                    q = 0; // A malformed weight makes the range unusable rather than preferred.
            }
            else if (name.Equals("version", StringComparison.OrdinalIgnoreCase))
            {
                version = value;
            }
        }

        if (mediaType.Equals(OpenMetricsType, StringComparison.OrdinalIgnoreCase))
        {
            format = ExpositionFormat.OpenMetrics100;
            specificity = 2;
            return version.IsEmpty || version.SequenceEqual("1.0.0");
        }
        if (mediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase))
        {
            specificity = 2;
            return version.IsEmpty || version.SequenceEqual("0.0.4") || version.SequenceEqual("1.0.0");
        }
        if (mediaType.Equals("text/*", StringComparison.OrdinalIgnoreCase))
        {
            specificity = 1;
            return true;
        }
        return mediaType.SequenceEqual("*/*");
    }
}
