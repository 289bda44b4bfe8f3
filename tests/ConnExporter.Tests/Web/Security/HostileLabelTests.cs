using System.Text;
using ConnExporter.Kernel.ProcFs;
using ConnExporter.Metrics.Exposition;
using ConnExporter.Tests.Metrics.Exposition;

namespace ConnExporter.Tests.Web.Security;

/// <summary>
/// A process may name itself anything (prctl PR_SET_NAME): quotes, backslashes, a newline and
/// bytes that are not UTF-8 go from /proc/&lt;pid&gt;/stat through the exposition writer without
/// breaking a line, forging a label or producing invalid UTF-8, and parse back to the name.
/// </summary>
public sealed class HostileLabelTests
{
    // comm is at most 15 bytes: a"b\c<LF>d<FF>} x="
    private static readonly byte[] Comm = [(byte)'a', (byte)'"', (byte)'b', (byte)'\\', (byte)'c', (byte)'\n', (byte)'d', 0xFF, (byte)'}', (byte)' ', (byte)'x', (byte)'=', (byte)'"'];

    private static readonly string Expected = "a\"b\\c\nd\uFFFD} x=\"";

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText004)]
    [InlineData(ExpositionFormat.OpenMetrics100)]
    public void ProcessNameSurvivesProcStatToExposition(ExpositionFormat format)
    {
        byte[] stat = [.. "4242 ("u8, .. Comm, .. ") S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 777 0 0\n"u8];
        Assert.True(ProcPidStat.TryParse(stat, out var parsed));
        Assert.Equal(Comm, parsed.Comm.ToArray());
        string name = Encoding.UTF8.GetString(parsed.Comm); // as ProcessResolver names processes
        byte[] raw = parsed.Comm.ToArray();

        string text = ExpositionText.Write(format, w =>
        {
            w.BeginFamily("conn_process_sockets", "Sockets per process.", MetricType.Gauge);
            w.Sample("conn_process_sockets", [new Label("process", name), new Label("state", "listen")], 1);
            w.Sample("conn_process_sockets", [new Label("process", raw), new Label("state", "established")], 2);
        });

        var samples = text.Split('\n').Where(l => l.StartsWith("conn_process_sockets{", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, samples.Count);
        foreach (var line in samples)
        {
            var labels = ParseLabels(line);
            Assert.Equal(["process", "state"], labels.Select(l => l.Name));
            Assert.Equal(Expected, labels[0].Value);
        }
        // The invalid byte became one U+FFFD per sample, not raw bytes.
        Assert.Equal(2, text.Count(c => c == '\uFFFD'));
        Assert.Equal(text, new UTF8Encoding(false, true).GetString(Encoding.UTF8.GetBytes(text)));

        if (format == ExpositionFormat.PrometheusText004
            && ExternalTool.Run("promtool", ["check", "metrics"], text) is { } promtool)
            Assert.True(promtool.ExitCode == 0, promtool.ToString());
    }

    /// <summary>The label pairs of one sample line, unescaped as Prometheus' text parser does.</summary>
    private static List<(string Name, string Value)> ParseLabels(string line)
    {
        var labels = new List<(string, string)>();
        int i = line.IndexOf('{', StringComparison.Ordinal) + 1;
        while (line[i] != '}')
        {
            int eq = line.IndexOf('=', i);
            string name = line[i..eq];
            Assert.Equal('"', line[eq + 1]);
            var value = new StringBuilder();
            int j = eq + 2;
            for (; line[j] != '"'; j++)
            {
                if (line[j] != '\\')
                {
                    value.Append(line[j]);
                    continue;
                }
                j++;
                value.Append(line[j] switch { 'n' => '\n', '\\' => '\\', '"' => '"', _ => throw new FormatException($"bad escape \\{line[j]}") });
            }
            labels.Add((name, value.ToString()));
            i = j + 1;
            if (line[i] == ',') i++;
        }
        return labels;
    }
}
