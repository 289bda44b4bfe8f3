using System.IO.Compression;
using System.IO.Pipelines;

namespace ConnExporter.Metrics.Exposition;

/// <summary>
/// A gzip-compressing <see cref="PipeWriter"/> over a response body stream, for scrapers that send
/// <c>Accept-Encoding: gzip</c> (Prometheus does by default). The caller sets
/// <c>Content-Encoding: gzip</c> and <c>Vary: Accept-Encoding</c>, writes through <see cref="Writer"/>,
/// and disposes this asynchronously: that completes the writer, which disposes the
/// <see cref="GZipStream"/> with <c>DisposeAsync</c> so the gzip trailer is written without
/// synchronous I/O (Kestrel forbids it). The body stream itself is left open.
/// </summary>
public sealed class GzipResponseBody : IAsyncDisposable
{
    private GzipResponseBody(PipeWriter writer) => Writer = writer;

    public PipeWriter Writer { get; }

    public static GzipResponseBody Create(Stream body, CompressionLevel level = CompressionLevel.Fastest)
    {
        ArgumentNullException.ThrowIfNull(body);
        var gzip = new GZipStream(body, level, leaveOpen: true);
        return new GzipResponseBody(PipeWriter.Create(gzip, new StreamPipeWriterOptions(leaveOpen: false)));
    }

    /// <summary>
    /// True when an <c>Accept-Encoding</c> value lists <c>gzip</c> (or <c>x-gzip</c>) with a q
    /// above zero. A bare <c>*</c> is not taken as a request for compression.
    /// </summary>
    public static bool IsAccepted(ReadOnlySpan<char> acceptEncoding)
    {
        foreach (var codingBounds in acceptEncoding.Split(','))
        {
            var coding = acceptEncoding[codingBounds];
            int semicolon = coding.IndexOf(';');
            var name = (semicolon < 0 ? coding : coding[..semicolon]).Trim();
            if (!name.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !name.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
                continue;
            if (semicolon < 0 || !IsZeroWeight(coding[(semicolon + 1)..]))
                return true;
        }
        return false;
    }

    /// <summary>Flushes what was written, writes the gzip trailer and releases the compressor.</summary>
    public async ValueTask DisposeAsync()
    {
        await Writer.CompleteAsync().ConfigureAwait(false);
    }

    private static bool IsZeroWeight(ReadOnlySpan<char> parameters)
    {
        foreach (var parameterBounds in parameters.Split(';'))
        {
            var parameter = parameters[parameterBounds].Trim();
            if (parameter.Length > 2 && (parameter[0] == 'q' || parameter[0] == 'Q') && parameter[1] == '=')
            {
                var value = parameter[2..].Trim();
                // q=0, q=0.0, q=0.000 refuse the coding (RFC 9110 §12.4.2).
                return value.Length > 0 && value[0] == '0' && value[1..].TrimStart('.').TrimStart('0').IsEmpty;
            }
        }
        return false;
    }
}
