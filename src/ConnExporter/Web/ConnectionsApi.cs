using System.Globalization;
using System.IO.Compression;
using System.Text.Encodings.Web;
using System.Text.Json;
using ConnExporter.Cli;
using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;
using Microsoft.AspNetCore.Http;

namespace ConnExporter.Web;

/// <summary>
/// <c>/api/v1/connections</c>: the inventory as the <c>connections --output json</c> array,
/// filtered by the command's flags as query parameters. It joins the collection a scrape has in
/// flight (or starts one) exactly as <c>/metrics</c> does, so a browser refreshing beside
/// Prometheus costs no extra kernel walk. What the snapshot could not see is said in headers, not
/// guessed: <c>X-Snapshot-Owners: off</c> when no enabled collector needs owners (processes, unit
/// and container are then empty), and <c>X-Snapshot-Taken-At</c> is when the kernel was read.
/// </summary>
public sealed class ConnectionsApi
{
    public const string Path = "/api/v1/connections";
    public const string TakenAtHeader = "X-Snapshot-Taken-At";
    public const string OwnersHeader = "X-Snapshot-Owners";

    /// <summary>Longest wait for a collection; a browser has no scrape-timeout header.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly SharedCollection _collection;
    private readonly SemaphoreSlim? _slots;

    public ConnectionsApi(SharedCollection collection, int maxRequests)
    {
        _collection = collection;
        _slots = maxRequests > 0 ? new SemaphoreSlim(maxRequests, maxRequests) : null;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers.CacheControl = "no-store";
        ConnectionsQuery query;
        try
        {
            query = ConnectionsQuery.Parse(context.Request.Query);
        }
        catch (QueryException e)
        {
            await Error(context, StatusCodes.Status400BadRequest, e.Message);
            return;
        }
        if (_slots is not null && !_slots.Wait(0))
        {
            await Error(context, StatusCodes.Status503ServiceUnavailable, "too many concurrent requests (--web.max-requests)");
            return;
        }
        try
        {
            CollectionResult result;
            try
            {
                result = await _collection.CollectAsync().WaitAsync(Timeout, context.RequestAborted);
            }
            catch (TimeoutException)
            {
                await Error(context, StatusCodes.Status503ServiceUnavailable, $"the collection did not finish within {Timeout.TotalSeconds:F0} s; retry");
                return;
            }
            if (result.Snapshot is not { } snapshot)
            {
                await Error(context, StatusCodes.Status503ServiceUnavailable, "the collection failed: " + result.Error?.Message);
                return;
            }
            if (!snapshot.Stats.OwnersResolved && query.OwnersParameter is { } needs)
            {
                await Error(context, StatusCodes.Status400BadRequest,
                    $"'{needs}' needs socket owners, which this exporter does not resolve: enable a collector that needs them (listeners, processes, peers, tcpinfo or connections)");
                return;
            }
            response.ContentType = "application/json";
            response.Headers.XContentTypeOptions = "nosniff";
            response.Headers[TakenAtHeader] = snapshot.TakenAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            response.Headers[OwnersHeader] = snapshot.Stats.OwnersResolved ? "resolved" : "off";
            response.Headers.Vary = "Accept-Encoding";
            bool gzip = GzipResponseBody.IsAccepted(context.Request.Headers.AcceptEncoding.ToString());
            // Streamed: the writer hands on every 16 KiB, so the body never exists whole in
            // memory (at 40k sockets it is ~15 MB before compression).
            if (gzip)
            {
                response.Headers.ContentEncoding = "gzip";
                await using var compressor = new GZipStream(response.Body, CompressionLevel.Fastest, leaveOpen: true);
                await ConnectionsJsonWriter.WriteAsync(compressor, snapshot.Connections, query.Filter, cancellationToken: context.RequestAborted);
            }
            else
            {
                await ConnectionsJsonWriter.WriteAsync(response.Body, snapshot.Connections, query.Filter, cancellationToken: context.RequestAborted);
            }
        }
        finally
        {
            _slots?.Release();
        }
    }

    /// <summary>A failed request: the status and one line of JSON naming the problem.</summary>
    private static async Task Error(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        using var buffer = new MemoryStream();
        // Relaxed escaping keeps the line readable ('x', not \u0027x\u0027); it is served as JSON with nosniff.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("error", message);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }
}
