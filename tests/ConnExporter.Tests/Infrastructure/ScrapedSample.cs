using System.Globalization;
using System.Text;

namespace ConnExporter.Tests.Infrastructure;

/// <summary>A sample parsed from text exposition, for asserting on values (not a validator:
/// promtool and the OpenMetrics checker do that).</summary>
public sealed record ScrapedSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string this[string label] => Labels.TryGetValue(label, out var v) ? v : "";

    public static List<ScrapedSample> Parse(string text)
    {
        var samples = new List<ScrapedSample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int i = 0;
            while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
            var name = line[..i];
            var labels = new Dictionary<string, string>();
            if (i < line.Length && line[i] == '{')
            {
                i++;
                while (line[i] != '}')
                {
                    int eq = line.IndexOf('=', i);
                    var labelName = line[i..eq];
                    i = eq + 2; // skip ="
                    var value = new StringBuilder();
                    while (line[i] != '"')
                    {
                        if (line[i] == '\\')
                        {
                            i++;
                            value.Append(line[i] switch { 'n' => '\n', var c => c });
                        }
                        else value.Append(line[i]);
                        i++;
                    }
                    i++;
                    labels[labelName] = value.ToString();
                    if (line[i] == ',') i++;
                }
                i++;
            }
            var valueText = line[(i + 1)..].Split(' ')[0];
            double v = valueText switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(valueText, CultureInfo.InvariantCulture),
            };
            samples.Add(new ScrapedSample(name, labels, v));
        }
        return samples;
    }
}
