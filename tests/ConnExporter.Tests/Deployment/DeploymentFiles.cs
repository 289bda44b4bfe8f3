using System.Text.RegularExpressions;
using ConnExporter.Tests.EndToEnd;
using YamlDotNet.RepresentationModel;

namespace ConnExporter.Tests.Deployment;

/// <summary>
/// The shipped deployment files (deploy/docker, helm, kubernetes, prometheus, grafana), read in
/// place, and what the tests need to know about them.
/// </summary>
public static partial class DeploymentFiles
{
    public static string Path(params string[] parts) => E2eEnvironment.Deploy(parts);

    public static string Read(params string[] parts) => File.ReadAllText(Path(parts));

    /// <summary>Every YAML document of a file, as the representation model.</summary>
    public static List<YamlMappingNode> YamlDocuments(params string[] parts)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(Read(parts))) stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    public static YamlNode? At(this YamlNode node, params string[] keys)
    {
        var current = node;
        foreach (var key in keys)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
                return null;
            current = next;
        }
        return current;
    }

    public static string? Scalar(this YamlNode node, params string[] keys) => (node.At(keys) as YamlScalarNode)?.Value;

    public static List<YamlNode> Items(this YamlNode node, params string[] keys) =>
        node.At(keys) is YamlSequenceNode seq ? seq.Children.ToList() : [];

    /// <summary>
    /// Metric names in the README's metric table: the first column of the table under
    /// "### Metrics" (one cell may list several names).
    /// </summary>
    public static HashSet<string> ReadmeMetricNames()
    {
        var readme = File.ReadAllText(System.IO.Path.Combine(E2eEnvironment.RepoRoot, "README.md"));
        var start = readme.IndexOf("### Metrics", StringComparison.Ordinal);
        if (start < 0) throw new InvalidOperationException("README.md has no '### Metrics' section");
        var end = readme.IndexOf("\n#", start + 5, StringComparison.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in readme[start..end].Split('\n'))
        {
            if (!line.StartsWith("| `", StringComparison.Ordinal)) continue;
            var firstCell = line.Split('|')[1];
            foreach (Match m in Backticked().Matches(firstCell)) names.Add(m.Groups[1].Value);
        }
        // conn_exporter_ebpf_* and the like are written out in the table, one row each.
        return names;
    }

    /// <summary>The metric families of a real scrape, from its # TYPE lines, with their types.</summary>
    public static Dictionary<string, string> ScrapedFamilies(string exposition)
    {
        var families = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith("# TYPE ", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ');
            families[parts[2]] = parts[3];
        }
        return families;
    }

    /// <summary>
    /// The metric names a PromQL expression selects: identifiers that are not functions,
    /// aggregations, keywords or label names (label matchers, by/without/on/ignoring lists and
    /// string literals are removed first). Durations, numbers and Grafana's $variables are not
    /// identifiers of this grammar.
    /// </summary>
    public static IEnumerable<string> MetricNamesInPromQL(string expr)
    {
        var s = StringLiteral().Replace(expr, "\"\"");
        s = LabelMatchers().Replace(s, " ");
        s = GroupingClause().Replace(s, " ");
        s = RangeOrSubquery().Replace(s, " ");
        s = Variable().Replace(s, " ");
        foreach (Match m in Identifier().Matches(s))
        {
            var id = m.Value;
            // Followed by "(": a function or aggregation call.
            var after = s[(m.Index + m.Length)..].TrimStart();
            if (after.StartsWith('(')) continue;
            if (PromQLKeywords.Contains(id)) continue;
            yield return id;
        }
    }

    private static readonly HashSet<string> PromQLKeywords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
        "inf", "nan", "Inf", "NaN", "e",
    };

    [GeneratedRegex("`([a-z_][a-z0-9_:]*)`")]
    private static partial Regex Backticked();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")]
    private static partial Regex GroupingClause();

    [GeneratedRegex(@"\[[^\[\]]*\]")]
    private static partial Regex RangeOrSubquery();

    [GeneratedRegex(@"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")]
    private static partial Regex Variable();

    [GeneratedRegex(@"(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Identifier();
}
