using System.IO.Compression;
using System.Text;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Tests.Metrics.Exposition;

public sealed class GzipResponseBodyTests
{
    [Theory]
    [InlineData("gzip", true)]
    [InlineData("gzip, deflate, br", true)]
    [InlineData("br;q=1.0, GZIP;q=0.5", true)]
    [InlineData("x-gzip", true)]
    [InlineData("gzip;q=0", false)]
    [InlineData("gzip;q=0.000", false)]
    [InlineData("gzip;q=0.001", true)]
    [InlineData("identity", false)]
    [InlineData("*", false)]
    [InlineData("", false)]
    [InlineData("gzipped", false)]
    public void IsAccepted(string acceptEncoding, bool expected)
    {
        Assert.Equal(expected, GzipResponseBody.IsAccepted(acceptEncoding));
    }

    [Fact]
    public async Task RoundTrip_WithoutSynchronousIO()
    {
        var body = new AsyncOnlyStream();
        await using (var gzip = GzipResponseBody.Create(body))
        {
            var writer = new ExpositionWriter(gzip.Writer, ExpositionFormat.OpenMetrics100);
            for (int i = 0; i < 50; i++)
            {
                ExpositionText.WriteSample(writer);
                writer.Flush();
                await gzip.Writer.FlushAsync();
            }
            writer.Finish();
        }

        Assert.True(body.CanWrite, "the response body must stay open for the server");
        string expected = ExpositionText.Write(ExpositionFormat.OpenMetrics100, w =>
        {
            for (int i = 0; i < 50; i++)
                ExpositionText.WriteSample(w);
        });
        body.Position = 0;
        using var decompressed = new GZipStream(body, CompressionMode.Decompress);
        using var reader = new StreamReader(decompressed, Encoding.UTF8);
        Assert.Equal(expected, await reader.ReadToEndAsync());
        Assert.True(body.Length < Encoding.UTF8.GetByteCount(expected) / 5, $"compressed to {body.Length} bytes");
    }

    /// <summary>Throws on synchronous writes and flushes, as Kestrel's response body does by default.</summary>
    private sealed class AsyncOnlyStream : MemoryStream
    {
        private bool _inWriteAsync;

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (!_inWriteAsync)
                throw new InvalidOperationException("synchronous write");
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer.ToArray(), 0, buffer.Length);
        public override void Flush() => throw new InvalidOperationException("synchronous flush");

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _inWriteAsync = true;
            try
            {
                Write(buffer.Span);
            }
            finally
            {
                _inWriteAsync = false;
            }
            return ValueTask.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
