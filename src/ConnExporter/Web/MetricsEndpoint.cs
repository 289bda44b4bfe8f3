using System.Globalization;
using ConnExporter.Inventory;
using ConnExporter.Metrics;
using ConnExporter.Metrics.Exposition;
using Microsoft.AspNetCore.Http;

namespace ConnExporter.Web;

/// <summary>
/// Serves a scrape: joins (or starts) the shared collection, waits no longer than the scrape
/// timeout Prometheus announces, and streams the exposition into the response pipe, gzipped
/// when the client accepts it. Beyond <c>--web.max-requests</c> parallel scrapes it answers 503.
/// </summary>
public sealed class MetricsEndpoint
{
    /// <summary>Headroom under Prometheus' timeout so the answer arrives before it gives up.</summary>
    private static readonly TimeSpan TimeoutOffset = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly SharedCollection _collection;
    private readonly ScrapeRenderer _renderer;
    private readonly SemaphoreSlim? _slots;

    public MetricsEndpoint(SharedCollection collection, ScrapeRenderer renderer, int maxRequests)
    {
        _collection = collection;
        _renderer = renderer;
        _slots = maxRequests > 0 ? new SemaphoreSlim(maxRequests, maxRequests) : null;
    }

    public async Task HandleAsync(HttpContext context)
    {
        if (_slots is not null && !_slots.Wait(0))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync("too many concurrent scrapes (--web.max-requests)\n", context.RequestAborted);
            return;
        }
        try
        {
            var result = await CollectWithin(ScrapeTimeout(context.Request), context.RequestAborted);
            var format = FormatNegotiation.FromAccept(context.Request.Headers.Accept.ToString());
            var response = context.Response;
            response.ContentType = ExpositionContentType.For(format);
            response.Headers.Vary = "Accept-Encoding";
            if (GzipResponseBody.IsAccepted(context.Request.Headers.AcceptEncoding.ToString()))
            {
                response.Headers.ContentEncoding = "gzip";
                await using var gzip = GzipResponseBody.Create(response.Body);
                _renderer.Render(result, gzip.Writer, format);
            }
            else
            {
                _renderer.Render(result, response.BodyWriter, format);
                await response.BodyWriter.FlushAsync(context.RequestAborted);
            }
        }
        finally
        {
            _slots?.Release();
        }
    }

    private async Task<CollectionResult?> CollectWithin(TimeSpan timeout, CancellationToken aborted)
    {
        try
        {
            return await _collection.CollectAsync().WaitAsync(timeout, aborted);
        }
        catch (TimeoutException)
        {
            // The collection goes on; the next scrape joins it. This one reports inventory=0.
            return null;
        }
    }

    internal static TimeSpan ScrapeTimeout(HttpRequest request)
    {
        var header = request.Headers["X-Prometheus-Scrape-Timeout-Seconds"].ToString();
        if (double.TryParse(header, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0)
        {
            var t = TimeSpan.FromSeconds(seconds) - TimeoutOffset;
            return t > TimeSpan.FromMilliseconds(100) ? t : TimeSpan.FromMilliseconds(100);
        }
        return DefaultTimeout;
    }
}
