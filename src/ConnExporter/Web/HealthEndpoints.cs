using System.Text.Json;
using ConnExporter.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ConnExporter.Web;

/// <summary>
/// Health the way both origins had it: the eBPF monitor's <c>/health</c> (JSON),
/// <c>/readiness</c> and <c>/liveness</c>, and Prometheus' <c>/-/healthy</c> and <c>/-/ready</c>.
/// </summary>
public static class HealthEndpoints
{
    public static void Map(WebApplication app, ExporterHealth health, ScrapeRenderer renderer)
    {
        app.MapGet("/readiness", (RequestDelegate)(c => Probe(c, health.IsReady, "ready")));
        app.MapGet("/-/ready", (RequestDelegate)(c => Probe(c, health.IsReady, "ready")));
        app.MapGet("/liveness", (RequestDelegate)(c => Probe(c, health.IsAlive, "alive")));
        app.MapGet("/-/healthy", (RequestDelegate)(c => Probe(c, health.IsAlive, "healthy")));
        app.MapGet("/health", (RequestDelegate)(c => Json(c, health, renderer)));
    }

    private static Task Probe(HttpContext context, bool ok, string word)
    {
        context.Response.StatusCode = ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(ok ? $"{word}\n" : $"not {word}\n");
    }

    private static async Task Json(HttpContext context, ExporterHealth health, ScrapeRenderer renderer)
    {
        bool ready = health.IsReady, alive = health.IsAlive;
        context.Response.StatusCode = ready && alive ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        var last = health.Last;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteBoolean("ready", ready);
            json.WriteBoolean("alive", alive);
            json.WriteNumber("timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            json.WriteStartObject("collectors");
            json.WriteStartObject(ScrapeRenderer.InventoryCollector);
            json.WriteBoolean("enabled", true);
            json.WriteBoolean("success", last?.Snapshot is not null);
            if (last?.Error is { } error) json.WriteString("error", error.Message);
            if (last?.Snapshot is { } snapshot)
            {
                json.WriteString("source", snapshot.Stats.Source);
                json.WriteNumber("sockets", snapshot.Connections.Count);
                json.WriteNumber("duration_seconds", last.Duration.TotalSeconds);
            }
            json.WriteEndObject();
            var outcomes = renderer.LastOutcomes;
            foreach (var view in renderer.Views)
            {
                json.WriteStartObject(view.Name);
                json.WriteBoolean("enabled", true);
                // Views run at scrape time: before the first scrape there is no outcome yet.
                if (outcomes.TryGetValue(view.Name, out bool success)) json.WriteBoolean("success", success);
                else json.WriteNull("success");
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }
}
