using System.Buffers;
using System.Text;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Tests.Metrics.Exposition;

public sealed class ExpositionWriterTests
{
    [Fact]
    public void PrometheusText_ExactOutput()
    {
        string text = ExpositionText.Write(ExpositionFormat.PrometheusText004, ExpositionText.WriteSample);
        const string expected = """
            # HELP conn_sample_sockets Sockets by state and "process" \\ path.\nSecond line.
            # TYPE conn_sample_sockets gauge
            conn_sample_sockets{state="established",process="ng�xé�"} 12
            conn_sample_sockets{state="a\"b\\c\nd",process="sshd"} 0
            conn_sample_sockets{state="listen",process="nginx: worker"} 3.5
            # HELP conn_sample_retransmits_total TCP segments retransmitted.
            # TYPE conn_sample_retransmits_total counter
            conn_sample_retransmits_total{port="443"} 18446744073709551615
            conn_sample_retransmits_total{port="80"} 0
            # HELP conn_sample_rtt_seconds Smoothed round-trip time.
            # TYPE conn_sample_rtt_seconds histogram
            conn_sample_rtt_seconds_bucket{direction="out",le="0.0001"} 1
            conn_sample_rtt_seconds_bucket{direction="out",le="0.005"} 4
            conn_sample_rtt_seconds_bucket{direction="out",le="1"} 9
            conn_sample_rtt_seconds_bucket{direction="out",le="10"} 9
            conn_sample_rtt_seconds_bucket{direction="out",le="100000"} 10
            conn_sample_rtt_seconds_bucket{direction="out",le="1e+06"} 10
            conn_sample_rtt_seconds_bucket{direction="out",le="+Inf"} 11
            conn_sample_rtt_seconds_sum{direction="out"} 12.25
            conn_sample_rtt_seconds_count{direction="out"} 11
            conn_sample_rtt_seconds_bucket{le="0.0001"} 0
            conn_sample_rtt_seconds_bucket{le="0.005"} 0
            conn_sample_rtt_seconds_bucket{le="1"} 0
            conn_sample_rtt_seconds_bucket{le="10"} 0
            conn_sample_rtt_seconds_bucket{le="100000"} 0
            conn_sample_rtt_seconds_bucket{le="1e+06"} 0
            conn_sample_rtt_seconds_bucket{le="+Inf"} 0
            conn_sample_rtt_seconds_sum 0
            conn_sample_rtt_seconds_count 0
            # HELP conn_sample_ratio Special values.
            # TYPE conn_sample_ratio gauge
            conn_sample_ratio{case="nan"} NaN
            conn_sample_ratio{case="inf"} +Inf
            conn_sample_ratio{case="neginf"} -Inf
            conn_sample_ratio{case="small"} 1e-07
            conn_sample_ratio{case="big"} 1.2345675e+06
            # HELP conn_sample_info Untyped.
            # TYPE conn_sample_info untyped
            conn_sample_info 1

            """;
        Assert.Equal(expected, text);
    }

    [Fact]
    public void OpenMetrics_ExactOutput()
    {
        string text = ExpositionText.Write(ExpositionFormat.OpenMetrics100, ExpositionText.WriteSample);
        const string expected = """
            # TYPE conn_sample_sockets gauge
            # HELP conn_sample_sockets Sockets by state and \"process\" \\ path.\nSecond line.
            conn_sample_sockets{state="established",process="ng�xé�"} 12
            conn_sample_sockets{state="a\"b\\c\nd",process="sshd"} 0
            conn_sample_sockets{state="listen",process="nginx: worker"} 3.5
            # TYPE conn_sample_retransmits counter
            # HELP conn_sample_retransmits TCP segments retransmitted.
            conn_sample_retransmits_total{port="443"} 18446744073709551615
            conn_sample_retransmits_total{port="80"} 0
            # TYPE conn_sample_rtt_seconds histogram
            # HELP conn_sample_rtt_seconds Smoothed round-trip time.
            conn_sample_rtt_seconds_bucket{direction="out",le="0.0001"} 1
            conn_sample_rtt_seconds_bucket{direction="out",le="0.005"} 4
            conn_sample_rtt_seconds_bucket{direction="out",le="1.0"} 9
            conn_sample_rtt_seconds_bucket{direction="out",le="10.0"} 9
            conn_sample_rtt_seconds_bucket{direction="out",le="100000.0"} 10
            conn_sample_rtt_seconds_bucket{direction="out",le="1e+06"} 10
            conn_sample_rtt_seconds_bucket{direction="out",le="+Inf"} 11
            conn_sample_rtt_seconds_sum{direction="out"} 12.25
            conn_sample_rtt_seconds_count{direction="out"} 11
            conn_sample_rtt_seconds_bucket{le="0.0001"} 0
            conn_sample_rtt_seconds_bucket{le="0.005"} 0
            conn_sample_rtt_seconds_bucket{le="1.0"} 0
            conn_sample_rtt_seconds_bucket{le="10.0"} 0
            conn_sample_rtt_seconds_bucket{le="100000.0"} 0
            conn_sample_rtt_seconds_bucket{le="1e+06"} 0
            conn_sample_rtt_seconds_bucket{le="+Inf"} 0
            conn_sample_rtt_seconds_sum 0
            conn_sample_rtt_seconds_count 0
            # TYPE conn_sample_ratio gauge
            # HELP conn_sample_ratio Special values.
            conn_sample_ratio{case="nan"} NaN
            conn_sample_ratio{case="inf"} +Inf
            conn_sample_ratio{case="neginf"} -Inf
            conn_sample_ratio{case="small"} 1e-07
            conn_sample_ratio{case="big"} 1.2345675e+06
            # TYPE conn_sample_info unknown
            # HELP conn_sample_info Untyped.
            conn_sample_info 1
            # EOF

            """;
        Assert.Equal(expected, text);
    }

    [Theory]
    [InlineData(ExpositionFormat.PrometheusText004, "# TYPE conn_x gauge\nconn_x 1\n")]
    [InlineData(ExpositionFormat.OpenMetrics100, "# TYPE conn_x gauge\nconn_x 1\n# EOF\n")]
    public void EmptyHelp_WritesNoHelpLine(ExpositionFormat format, string expected)
    {
        Assert.Equal(expected, ExpositionText.Write(format, w =>
        {
            w.BeginFamily("conn_x", "", MetricType.Gauge);
            w.Sample("conn_x", 1);
        }));
    }

    [Fact]
    public void InvalidUtf8_EachMaximalInvalidSequenceBecomesOneReplacementChar()
    {
        // 0xFF alone, a truncated 3-byte sequence (E2 82), an overlong encoding (C0 AF: two
        // invalid bytes), then a valid 4-byte emoji.
        byte[] raw = [0xFF, 0xE2, 0x82, (byte)'a', 0xC0, 0xAF, 0xF0, 0x9F, 0x98, 0x80];
        string text = ExpositionText.Write(ExpositionFormat.PrometheusText004, w =>
        {
            w.BeginSample("m");
            w.WriteLabel("p", raw);
            w.EndSample(1);
        });
        Assert.Equal("m{p=\"\uFFFD\uFFFDa\uFFFD\uFFFD\U0001F600\"} 1\n", text);
    }

    [Fact]
    public void LoneSurrogateInText_BecomesReplacementChar()
    {
        string text = ExpositionText.Write(ExpositionFormat.PrometheusText004, w =>
            w.Sample("m", [new Label("p", "x\uD800y\uDC00")], 1));
        Assert.Equal("m{p=\"x\uFFFDy\uFFFD\"} 1\n", text);
    }

    [Fact]
    public void IntegerLabel_IsWrittenInvariant()
    {
        string text = ExpositionText.Write(ExpositionFormat.PrometheusText004, w =>
        {
            w.BeginSample("m");
            w.WriteLabel("port", -8080L);
            w.EndSample(0.25);
        });
        Assert.Equal("m{port=\"-8080\"} 0.25\n", text);
    }

    [Fact]
    public void LongEscapedValues_CrossOutputSegments()
    {
        // A writer handing out exactly the requested size forces a new segment on most writes.
        var value = new StringBuilder();
        for (int i = 0; i < 3000; i++)
            value.Append("ab\"\\\né");
        string label = value.ToString();
        string expectedValue = label.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

        var output = new ExactSizeBufferWriter();
        var writer = new ExpositionWriter(output, ExpositionFormat.PrometheusText004);
        for (int i = 0; i < 3; i++)
            writer.Sample("conn_long", [new Label("v", label), new Label("b", Encoding.UTF8.GetBytes(label))], i);
        writer.Finish();

        var expected = new StringBuilder();
        for (int i = 0; i < 3; i++)
            expected.Append($"conn_long{{v=\"{expectedValue}\",b=\"{expectedValue}\"}} {i}\n");
        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(output.Written.ToArray()));
        Assert.True(output.Segments > 10, $"only {output.Segments} segments");
    }

    [Fact]
    public void Flush_HandsPendingBytesToTheOutput()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new ExpositionWriter(buffer, ExpositionFormat.PrometheusText004);
        writer.Sample("m", 1);
        Assert.Equal(0, buffer.WrittenCount);
        writer.Flush();
        Assert.Equal("m 1\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void WritingSamples_AllocatesNothing()
    {
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        byte[] raw = "nginx\xff"u8.ToArray();
        // The caller's label set and buckets exist once; what is measured is the writer alone.
        Label[] histogramLabels = [new Label("k", "v")];
        double[] bounds = [0.001, 0.5, 1];
        ulong[] counts = [1, 2, 3];
        var writer = new ExpositionWriter(buffer, ExpositionFormat.OpenMetrics100);
        WriteMany(writer, raw, 10, histogramLabels, bounds, counts); // warm up: JIT, static SearchValues

        long before = GC.GetAllocatedBytesForCurrentThread();
        WriteMany(writer, raw, 1000, histogramLabels, bounds, counts);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);

        static void WriteMany(ExpositionWriter w, byte[] raw, int count, Label[] labels, double[] bounds, ulong[] counts)
        {
            w.BeginFamily("conn_alloc_bytes_total", "Bytes.", MetricType.Counter);
            for (int i = 0; i < count; i++)
            {
                w.Sample("conn_alloc_bytes_total", [new Label("state", "esta\"blished"), new Label("process", raw)], (ulong)i);
                w.BeginSample("conn_alloc_bytes_total");
                w.WriteLabel("process", raw.AsSpan());
                w.WriteLabel("port", i);
                w.EndSample(i * 0.37);
            }
            w.BeginFamily("conn_alloc_seconds", "Seconds.", MetricType.Histogram);
            w.Histogram("conn_alloc_seconds", labels, bounds, counts, 1.5, 4);
            w.Flush();
        }
    }

    [Fact]
    public void Histogram_RequiresOneCountPerBound()
    {
        var writer = new ExpositionWriter(new ArrayBufferWriter<byte>(), ExpositionFormat.PrometheusText004);
        Assert.Throws<ArgumentException>(() => writer.Histogram("h", [], [1, 2], [1], 0, 1));
    }

    [Fact]
    public void Misuse_IsRejected()
    {
        var writer = new ExpositionWriter(new ArrayBufferWriter<byte>(), ExpositionFormat.OpenMetrics100);
        Assert.Throws<InvalidOperationException>(() => writer.WriteLabel("a", "b".AsSpan()));
        Assert.Throws<InvalidOperationException>(() => writer.EndSample(1));
        writer.BeginSample("m");
        Assert.Throws<InvalidOperationException>(() => writer.BeginSample("m"));
        Assert.Throws<InvalidOperationException>(() => writer.Finish());
        writer.EndSample(1);
        writer.Finish();
        Assert.Throws<InvalidOperationException>(() => writer.Finish());
    }

#if DEBUG
    [Theory]
    [InlineData("conn-bad")]
    [InlineData("0conn")]
    [InlineData("")]
    public void DebugBuild_RejectsInvalidMetricNames(string name)
    {
        var writer = new ExpositionWriter(new ArrayBufferWriter<byte>(), ExpositionFormat.PrometheusText004);
        Assert.Throws<ArgumentException>(() => writer.BeginFamily(name, "h", MetricType.Gauge));
    }

    [Fact]
    public void DebugBuild_RejectsInvalidLabelNamesAndForeignSamples()
    {
        var writer = new ExpositionWriter(new ArrayBufferWriter<byte>(), ExpositionFormat.OpenMetrics100);
        writer.BeginFamily("conn_a_total", "h", MetricType.Counter);
        Assert.Throws<ArgumentException>(() => writer.Sample("conn_b", 1));
        writer.BeginSample("conn_a_total");
        Assert.Throws<ArgumentException>(() => writer.WriteLabel("le:x", "v".AsSpan()));
        Assert.Throws<ArgumentException>(() => new ExpositionWriter(new ArrayBufferWriter<byte>(), ExpositionFormat.OpenMetrics100)
            .BeginFamily("conn_a", "counter without _total", MetricType.Counter));
        Assert.Throws<ArgumentException>(() => new ExpositionWriter(new ArrayBufferWriter<byte>(), ExpositionFormat.OpenMetrics100)
            .Histogram("conn_h", [], [2, 1], [0, 0], 0, 0));
    }
#endif

    /// <summary>An output that hands out exactly the size asked for, so segment boundaries are frequent.</summary>
    private sealed class ExactSizeBufferWriter : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _current = [];

        public int Segments { get; private set; }

        public List<byte> Written => _written;

        public void Advance(int count) => _written.AddRange(_current.AsSpan(0, count));

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Segments++;
            _current = new byte[Math.Max(sizeHint, 1)];
            return _current;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
