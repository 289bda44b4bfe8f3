using System.Buffers;

namespace ConnExporter.Metrics.Exposition;

/// <summary>
/// Writes a Prometheus text 0.0.4 or OpenMetrics 1.0.0 exposition as UTF-8 straight into an
/// <see cref="IBufferWriter{T}"/> (for example a response <c>PipeWriter</c>) without allocating per
/// series. Bytes are staged in the writer's current buffer and handed to the output on
/// <see cref="Flush"/> and <see cref="Finish"/>: call <see cref="Flush"/> before awaiting the pipe's
/// <c>FlushAsync</c>, and <see cref="Finish"/> once at the end (it writes OpenMetrics' <c># EOF</c>).
/// </summary>
/// <remarks>
/// Families must not interleave: call <see cref="BeginFamily"/>, then write all of its samples.
/// A sample is either one call (<see cref="Sample(string, ReadOnlySpan{Label}, double)"/>) or a
/// <see cref="BeginSample"/> / <see cref="WriteLabel(string, ReadOnlySpan{char})"/> /
/// <see cref="EndSample(double)"/> sequence for label values held in spans.
/// Names are not checked at run time (they are constants); Debug builds throw on invalid ones.
/// </remarks>
public sealed partial class ExpositionWriter
{
    private const int MinimumBufferSize = 4096;
    private const int NotInSample = -1;

    private readonly IBufferWriter<byte> _output;
    private Memory<byte> _buffer;
    private int _position;
    private long _committed;
    private int _labelCount = NotInSample;
    private bool _finished;

    /// <summary>The current family and how much of its name every sample starts with (OpenMetrics counters: all but <c>_total</c>); Debug checks only.</summary>
    private string? _familyName;
    private int _familyPrefixLength;

    public ExpositionWriter(IBufferWriter<byte> output, ExpositionFormat format)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        Format = format;
    }

    public ExpositionFormat Format { get; }

    /// <summary>Bytes written so far, including those not yet handed to the output by <see cref="Flush"/>.</summary>
    public long BytesWritten => _committed + _position;

    private bool IsOpenMetrics => Format == ExpositionFormat.OpenMetrics100;

    /// <summary>
    /// Starts a metric family: <c># HELP</c> and <c># TYPE</c> (OpenMetrics: TYPE first, as its
    /// specification recommends). An empty <paramref name="help"/> writes no HELP line. Counters are
    /// named with their <c>_total</c> suffix; OpenMetrics metadata drops it while samples keep it.
    /// </summary>
    public void BeginFamily(string name, string help, MetricType type)
    {
        EnsureNotInSample();
        CheckMetricName(name);
        ReadOnlySpan<char> metadataName = name;
        if (IsOpenMetrics && type == MetricType.Counter)
        {
            CheckCounterName(name);
            if (name.EndsWith("_total", StringComparison.Ordinal))
                metadataName = metadataName[..^"_total".Length];
        }
        SetFamilyPrefix(name, metadataName);

        if (IsOpenMetrics)
        {
            WriteType(metadataName, type);
            WriteHelp(metadataName, help);
        }
        else
        {
            WriteHelp(metadataName, help);
            WriteType(metadataName, type);
        }
    }

    /// <summary>Writes <c>name value</c>.</summary>
    public void Sample(string name, double value)
    {
        BeginSample(name);
        EndSample(value);
    }

    /// <summary>Writes <c>name value</c> with an exact integer value.</summary>
    public void Sample(string name, ulong value)
    {
        BeginSample(name);
        EndSample(value);
    }

    /// <summary>Writes <c>name{l1="v1",...} value</c>; an empty label set writes no braces.</summary>
    public void Sample(string name, ReadOnlySpan<Label> labels, double value)
    {
        BeginSample(name);
        WriteLabels(labels);
        EndSample(value);
    }

    /// <summary>Writes <c>name{l1="v1",...} value</c> with an exact integer value.</summary>
    public void Sample(string name, ReadOnlySpan<Label> labels, ulong value)
    {
        BeginSample(name);
        WriteLabels(labels);
        EndSample(value);
    }

    /// <summary>Starts a sample line with its full metric name; follow with labels and an <c>EndSample</c>.</summary>
    public void BeginSample(string name)
    {
        BeginSample(name, default);
    }

    /// <summary>Adds a label whose value is text; escapes <c>\</c>, <c>"</c> and newline.</summary>
    public void WriteLabel(string name, ReadOnlySpan<char> value)
    {
        WriteLabelStart(name);
        WriteEscaped(value, escapeQuote: true);
        WriteByte((byte)'"');
    }

    /// <summary>Adds a label whose value is raw UTF-8; invalid sequences become U+FFFD.</summary>
    public void WriteLabel(string name, ReadOnlySpan<byte> utf8Value)
    {
        WriteLabelStart(name);
        WriteEscaped(utf8Value);
        WriteByte((byte)'"');
    }

    /// <summary>Adds a label with an integer value (ports, indexes).</summary>
    public void WriteLabel(string name, long value)
    {
        WriteLabelStart(name);
        var span = Reserve(SampleNumber.MaxLength + 1);
        int n = SampleNumber.FormatInteger(value, span);
        span[n++] = (byte)'"';
        Advance(n);
    }

    public void WriteLabel(in Label label)
    {
        if (label.IsUtf8)
            WriteLabel(label.Name, label.Utf8Value);
        else
            WriteLabel(label.Name, label.Text);
    }

    public void WriteLabels(ReadOnlySpan<Label> labels)
    {
        foreach (ref readonly var label in labels)
            WriteLabel(in label);
    }

    /// <summary>Ends the sample with its value: whole numbers as integers, else shortest round-trip, <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>.</summary>
    public void EndSample(double value)
    {
        EndLabels();
        var span = Reserve(SampleNumber.MaxLength + 2);
        span[0] = (byte)' ';
        int n = 1 + SampleNumber.FormatValue(value, span[1..]);
        span[n++] = (byte)'\n';
        Advance(n);
    }

    public void EndSample(ulong value)
    {
        EndLabels();
        var span = Reserve(SampleNumber.MaxLength + 2);
        span[0] = (byte)' ';
        int n = 1 + SampleNumber.FormatInteger(value, span[1..]);
        span[n++] = (byte)'\n';
        Advance(n);
    }

    /// <summary>
    /// Writes one histogram: a <c>_bucket</c> line per finite upper bound, then <c>le="+Inf"</c> with
    /// <paramref name="count"/>, then <c>_sum</c> and <c>_count</c>. <paramref name="name"/> is the
    /// family name without suffix; <paramref name="cumulativeCounts"/>[i] counts observations ≤
    /// <paramref name="upperBounds"/>[i]. <c>le</c> is rendered as Prometheus does in each format
    /// (<c>1</c> in text 0.0.4, canonical <c>1.0</c> in OpenMetrics).
    /// </summary>
    public void Histogram(string name, ReadOnlySpan<Label> labels, ReadOnlySpan<double> upperBounds,
        ReadOnlySpan<ulong> cumulativeCounts, double sum, ulong count)
    {
        if (upperBounds.Length != cumulativeCounts.Length)
            throw new ArgumentException("One cumulative count per upper bound is required.", nameof(cumulativeCounts));
        CheckBounds(upperBounds);

        for (int i = 0; i < upperBounds.Length; i++)
            WriteBucket(name, labels, upperBounds[i], cumulativeCounts[i]);
        WriteBucket(name, labels, double.PositiveInfinity, count);

        BeginSample(name, "_sum"u8);
        WriteLabels(labels);
        EndSample(sum);

        BeginSample(name, "_count"u8);
        WriteLabels(labels);
        EndSample(count);
    }

    /// <summary>Hands the bytes written so far to the output (<see cref="IBufferWriter{T}.Advance"/>).</summary>
    public void Flush()
    {
        if (_position > 0)
        {
            _output.Advance(_position);
            _committed += _position;
        }
        _position = 0;
        _buffer = default;
    }

    /// <summary>Ends the exposition (OpenMetrics: <c># EOF</c>) and flushes. Call exactly once.</summary>
    public void Finish()
    {
        EnsureNotInSample();
        if (_finished)
            throw new InvalidOperationException("The exposition is already finished.");
        _finished = true;
        if (IsOpenMetrics)
            WriteBytes("# EOF\n"u8);
        Flush();
    }

    private void WriteBucket(string name, ReadOnlySpan<Label> labels, double upperBound, ulong cumulativeCount)
    {
        BeginSample(name, "_bucket"u8);
        WriteLabels(labels);
        WriteBytes(_labelCount == 0 ? "{le=\""u8 : ",le=\""u8);
        _labelCount++;
        var span = Reserve(SampleNumber.MaxLength + 3);
        int n = SampleNumber.FormatBound(upperBound, span, IsOpenMetrics);
        span[n++] = (byte)'"';
        Advance(n);
        EndSample(cumulativeCount);
    }

    private void BeginSample(string name, ReadOnlySpan<byte> suffix)
    {
        EnsureNotInSample();
        CheckSampleName(name);
        WriteName(name);
        if (!suffix.IsEmpty)
            WriteBytes(suffix);
        _labelCount = 0;
    }

    private void WriteLabelStart(string name)
    {
        if (_labelCount == NotInSample)
            throw new InvalidOperationException("A label is written between BeginSample and EndSample.");
        CheckLabelName(name);
        WriteByte(_labelCount == 0 ? (byte)'{' : (byte)',');
        _labelCount++;
        WriteName(name);
        WriteBytes("=\""u8);
    }

    private void EndLabels()
    {
        if (_labelCount == NotInSample)
            throw new InvalidOperationException("EndSample without BeginSample.");
        if (_labelCount > 0)
            WriteByte((byte)'}');
        _labelCount = NotInSample;
    }

    private void EnsureNotInSample()
    {
        if (_labelCount != NotInSample)
            throw new InvalidOperationException("The previous sample was not ended.");
    }

    private void WriteHelp(ReadOnlySpan<char> metadataName, string help)
    {
        if (string.IsNullOrEmpty(help))
            return;
        WriteBytes("# HELP "u8);
        WriteName(metadataName);
        WriteByte((byte)' ');
        // Text 0.0.4 knows only \\ and \n in HELP (its parser rejects \"); OpenMetrics' HELP is an
        // escaped-string like a label value, where a bare quote is not allowed.
        WriteEscaped(help, escapeQuote: IsOpenMetrics);
        WriteByte((byte)'\n');
    }

    private void WriteType(ReadOnlySpan<char> metadataName, MetricType type)
    {
        WriteBytes("# TYPE "u8);
        WriteName(metadataName);
        WriteBytes(type switch
        {
            MetricType.Counter => " counter\n"u8,
            MetricType.Gauge => " gauge\n"u8,
            MetricType.Histogram => " histogram\n"u8,
            _ => IsOpenMetrics ? " unknown\n"u8 : " untyped\n"u8,
        });
    }
}
