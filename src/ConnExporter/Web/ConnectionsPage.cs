using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ConnExporter.Web;

/// <summary>
/// <c>/connections</c>: the live connections page, plain HTML, CSS and JavaScript compiled into
/// the assembly (Web/Assets, embedded resources) so it works on an air-gapped node, served with a
/// Content-Security-Policy that allows nothing but these same-origin files and the API.
/// </summary>
public static class ConnectionsPage
{
    public const string Path = "/connections";

    /// <summary>Nothing inline, nothing from elsewhere; the page only talks to its own origin.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        + "base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

    private static readonly (string Path, string Resource, string ContentType)[] Assets =
    [
        (Path, "connections.html", "text/html; charset=utf-8"),
        ("/assets/connections.css", "connections.css", "text/css; charset=utf-8"),
        ("/assets/connections.js", "connections.js", "text/javascript; charset=utf-8"),
    ];

    public static void Map(WebApplication app)
    {
        foreach (var (path, resource, contentType) in Assets)
        {
            var body = Load(resource);
            app.MapGet(path, (RequestDelegate)(context =>
            {
                var headers = context.Response.Headers;
                // Appended, not set: a policy from the web config's headers then applies as well.
                headers.Append("Content-Security-Policy", ContentSecurityPolicy);
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-cache";
                context.Response.ContentType = contentType;
                context.Response.ContentLength = body.Length;
                return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
            }));
        }
    }

    private static byte[] Load(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded asset {resource} missing from the build");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
