using System.Globalization;
using System.Text.RegularExpressions;

namespace ConnExporter.Tests.Metrics.Exposition;

/// <summary>
/// A small strict OpenMetrics 1.0 checker for when python's prometheus_client is absent: EOF last,
/// every sample inside a TYPEd family with that type's suffixes, well-formed labels and numbers,
/// histogram buckets ascending to +Inf with canonical <c>le</c>, counts cumulative and matching.
/// Returns the problems found; empty means valid.
/// </summary>
internal static partial class OpenMetricsStrictChecker
{
    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricNameRegex();

    [GeneratedRegex(@"^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelNameRegex();

    [GeneratedRegex(@"^([+-]?(\d+|\d+\.\d*|\d*\.\d+)([eE][+-]?\d+)?|[+-]?(?i:inf|infinity)|(?i:nan))$")]
    private static partial Regex NumberRegex();

    /// <summary>Canonical float for le: Go %g plus ".0" — "+Inf", "0.005", "1.0", "1e+06", "1e-05".</summary>
    [GeneratedRegex(@"^(\+Inf|(0|[1-9]\d*)\.(0|\d*[1-9])|[1-9](\.\d*[1-9])?e[+-]\d{2,3})$")]
    private static partial Regex CanonicalFloatRegex();

    private static readonly Dictionary<string, string[]> Suffixes = new()
    {
        ["counter"] = ["_total", "_created"],
        ["gauge"] = [""],
        ["unknown"] = [""],
        ["histogram"] = ["_bucket", "_sum", "_count", "_created"],
    };

    public static List<string> Check(string text)
    {
        var problems = new List<string>();
        if (!text.EndsWith("# EOF\n", StringComparison.Ordinal) && !text.EndsWith("# EOF", StringComparison.Ordinal))
            problems.Add("the exposition does not end with # EOF");
        if (text.Contains('\r', StringComparison.Ordinal))
            problems.Add("carriage return present");

        var lines = text.TrimEnd('\n').Split('\n');
        var seenFamilies = new HashSet<string>();
        string? family = null, type = null;
        var histograms = new Dictionary<string, Histogram>();

        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            string where = $"line {i + 1} '{line}'";
            if (line == "# EOF")
            {
                if (i != lines.Length - 1)
                    problems.Add($"{where}: # EOF is not the last line");
                continue;
            }
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length < 4 || parts[0] != "#" || !MetricNameRegex().IsMatch(parts[2]))
                {
                    problems.Add($"{where}: malformed metadata");
                    continue;
                }
                if (parts[1] == "TYPE")
                {
                    if (!Suffixes.ContainsKey(parts[3]))
                        problems.Add($"{where}: unknown type");
                    if (!seenFamilies.Add(parts[2]))
                        problems.Add($"{where}: family declared twice or interleaved");
                    family = parts[2];
                    type = parts[3];
                }
                else if (parts[1] == "HELP")
                {
                    if (parts[2] != family)
                        problems.Add($"{where}: HELP for a family other than the TYPE before it");
                    CheckEscapes(parts[3], where, problems);
                }
                else if (parts[1] != "UNIT")
                {
                    problems.Add($"{where}: unknown metadata");
                }
                continue;
            }

            if (!TryParseSample(line, out string name, out var labels, out string value, out string? error))
            {
                problems.Add($"{where}: {error}");
                continue;
            }
            if (family is null || type is null)
            {
                problems.Add($"{where}: sample outside a TYPEd family");
                continue;
            }
            string? suffix = Suffixes[type].FirstOrDefault(s => name == family + s);
            if (suffix is null)
            {
                problems.Add($"{where}: sample name not allowed in {type} family {family}");
                continue;
            }
            double number = ParseNumber(value);
            if (type == "counter" && suffix == "_total" && (double.IsNaN(number) || number < 0))
                problems.Add($"{where}: counter value must be a non-negative number");
            if (type == "histogram")
                CheckHistogramSample(family, suffix, labels, value, number, histograms, where, problems);
        }

        foreach (var (key, h) in histograms)
        {
            if (h.LastBound is not null && h.LastBound != "+Inf")
                problems.Add($"histogram {key}: buckets do not end with +Inf");
            if (h.Count is not null && h.InfCount is not null && h.Count != h.InfCount)
                problems.Add($"histogram {key}: _count {h.Count} differs from the +Inf bucket {h.InfCount}");
        }
        return problems;
    }

    private static void CheckHistogramSample(string family, string suffix, List<(string Name, string Value)> labels,
        string value, double number, Dictionary<string, Histogram> histograms, string where, List<string> problems)
    {
        string? le = labels.FirstOrDefault(l => l.Name == "le").Value;
        string key = family + "{" + string.Join(",", labels.Where(l => l.Name != "le").Select(l => $"{l.Name}={l.Value}")) + "}";
        if (!histograms.TryGetValue(key, out var h))
            histograms[key] = h = new Histogram();

        if (suffix == "_count")
        {
            if (!IsInteger(value))
                problems.Add($"{where}: _count must be an integer");
            h.Count = number;
            return;
        }
        if (suffix != "_bucket")
            return;
        if (le is null)
        {
            problems.Add($"{where}: bucket without le");
            return;
        }
        if (!CanonicalFloatRegex().IsMatch(le))
            problems.Add($"{where}: le '{le}' is not canonical");
        if (!IsInteger(value))
            problems.Add($"{where}: bucket count must be an integer");
        double bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
        if (h.LastBound is not null && !(bound > h.LastBoundValue))
            problems.Add($"{where}: buckets not in ascending order");
        if (number < h.LastBucketCount)
            problems.Add($"{where}: bucket counts are not cumulative");
        h.LastBound = le;
        h.LastBoundValue = bound;
        h.LastBucketCount = number;
        if (le == "+Inf")
            h.InfCount = number;
    }

    private static bool TryParseSample(string line, out string name, out List<(string Name, string Value)> labels,
        out string value, out string? error)
    {
        labels = [];
        value = "";
        error = null;
        int i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ')
            i++;
        name = line[..i];
        if (!MetricNameRegex().IsMatch(name))
        {
            error = "bad metric name";
            return false;
        }
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (i < line.Length && line[i] != '}')
            {
                int eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"')
                {
                    error = "bad label";
                    return false;
                }
                string labelName = line[i..eq];
                if (!LabelNameRegex().IsMatch(labelName) || labels.Any(l => l.Name == labelName))
                {
                    error = $"bad or repeated label name '{labelName}'";
                    return false;
                }
                int j = eq + 2;
                var sb = new System.Text.StringBuilder();
                while (j < line.Length && line[j] != '"')
                {
                    if (line[j] == '\\')
                    {
                        if (j + 1 >= line.Length || line[j + 1] is not ('\\' or '"' or 'n'))
                        {
                            error = "bad escape in label value";
                            return false;
                        }
                        sb.Append(line[j + 1] == 'n' ? '\n' : line[j + 1]);
                        j += 2;
                        continue;
                    }
                    sb.Append(line[j++]);
                }
                if (j >= line.Length)
                {
                    error = "unterminated label value";
                    return false;
                }
                labels.Add((labelName, sb.ToString()));
                i = j + 1;
                if (i < line.Length && line[i] == ',')
                    i++;
                else if (i >= line.Length || line[i] != '}')
                {
                    error = "expected , or }";
                    return false;
                }
            }
            i++;
        }
        if (i >= line.Length || line[i] != ' ')
        {
            error = "expected one space before the value";
            return false;
        }
        value = line[(i + 1)..];
        if (!NumberRegex().IsMatch(value))
        {
            error = $"bad value '{value}' (timestamps and exemplars are not written by this exporter)";
            return false;
        }
        return true;
    }

    private static void CheckEscapes(string escaped, string where, List<string> problems)
    {
        for (int i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] == '"')
                problems.Add($"{where}: unescaped double quote");
            if (escaped[i] == '\\')
            {
                if (i + 1 >= escaped.Length || escaped[i + 1] is not ('\\' or '"' or 'n'))
                    problems.Add($"{where}: bad escape");
                i++;
            }
        }
    }

    private static bool IsInteger(string value) => value.All(char.IsAsciiDigit) && value.Length > 0;

    private static double ParseNumber(string value) => value.ToLowerInvariant().TrimStart('+') switch
    {
        "inf" or "infinity" => double.PositiveInfinity,
        "-inf" or "-infinity" => double.NegativeInfinity,
        "nan" => double.NaN,
        var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private sealed class Histogram
    {
        public string? LastBound;
        public double LastBoundValue = double.NegativeInfinity;
        public double LastBucketCount;
        public double? InfCount;
        public double? Count;
    }
}
