using System.Buffers;
using System.Text;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Tests.Metrics.Exposition;

/// <summary>Runs a writer over an in-memory buffer and returns what it wrote as a string.</summary>
internal static class ExpositionText
{
    public static string Write(ExpositionFormat format, Action<ExpositionWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new ExpositionWriter(buffer, format);
        body(writer);
        writer.Finish();
        Assert.Equal(buffer.WrittenCount, writer.BytesWritten);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// One of each thing the exporter writes: escaped labels (quote, backslash, newline, invalid
    /// UTF-8 bytes), a counter, a histogram with labels and without, an untyped family, special values.
    /// Names follow promtool's lint rules (units, _total on counters only).
    /// </summary>
    public static void WriteSample(ExpositionWriter w)
    {
        byte[] rawProcess = [(byte)'n', (byte)'g', 0xFF, (byte)'x', 0xC3, 0xA9, 0xE2, 0x82];
        w.BeginFamily("conn_sample_sockets", "Sockets by state and \"process\" \\ path.\nSecond line.", MetricType.Gauge);
        w.Sample("conn_sample_sockets", [new Label("state", "established"), new Label("process", rawProcess)], 12);
        w.Sample("conn_sample_sockets", [new Label("state", "a\"b\\c\nd"), new Label("process", "sshd")], 0);
        w.BeginSample("conn_sample_sockets");
        w.WriteLabel("state", "listen".AsSpan());
        w.WriteLabel("process", "nginx: worker"u8);
        w.EndSample(3.5);

        w.BeginFamily("conn_sample_retransmits_total", "TCP segments retransmitted.", MetricType.Counter);
        w.Sample("conn_sample_retransmits_total", [new Label("port", "443")], 18446744073709551615UL);
        w.Sample("conn_sample_retransmits_total", [new Label("port", "80")], 0UL);

        w.BeginFamily("conn_sample_rtt_seconds", "Smoothed round-trip time.", MetricType.Histogram);
        w.Histogram("conn_sample_rtt_seconds", [new Label("direction", "out")],
            [0.0001, 0.005, 1, 10, 100000, 1e6], [1, 4, 9, 9, 10, 10], 12.25, 11);
        w.Histogram("conn_sample_rtt_seconds", [], [0.0001, 0.005, 1, 10, 100000, 1e6], [0, 0, 0, 0, 0, 0], 0, 0);

        w.BeginFamily("conn_sample_ratio", "Special values.", MetricType.Gauge);
        w.Sample("conn_sample_ratio", [new Label("case", "nan")], double.NaN);
        w.Sample("conn_sample_ratio", [new Label("case", "inf")], double.PositiveInfinity);
        w.Sample("conn_sample_ratio", [new Label("case", "neginf")], double.NegativeInfinity);
        w.Sample("conn_sample_ratio", [new Label("case", "small")], 1e-7);
        w.Sample("conn_sample_ratio", [new Label("case", "big")], 1234567.5);

        w.BeginFamily("conn_sample_info", "Untyped.", MetricType.Unknown);
        w.Sample("conn_sample_info", 1);
    }
}
