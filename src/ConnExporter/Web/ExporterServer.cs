using System.Net;
using ConnExporter.Inventory;
using ConnExporter.Metrics;
using ConnExporter.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Web;

/// <summary>Kestrel with the exporter's endpoints; nothing else (slim builder, no MVC).</summary>
public static class ExporterServer
{
    public sealed record Settings(
        IReadOnlyList<ListenAddress> Addresses,
        string TelemetryPath,
        int MaxRequests)
    {
        /// <summary>--web.config.file: TLS, basic auth, headers, rate limit; null for plain HTTP.</summary>
        public string? WebConfigFile { get; init; }
    }

    public static WebApplication Build(Settings settings, SharedCollection collection, ScrapeRenderer renderer,
        ExporterHealth health, ILoggerFactory loggers)
    {
        var security = LoadSecurity(settings.WebConfigFile, loggers);
        // Production whatever DOTNET_ENVIRONMENT says: Development would add the exception page.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = Environments.Production });
        security.ConfigureBuilder(builder.WebHost);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // A scrape is a small GET: keep headers small, refuse bodies, drop slow clients.
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
            kestrel.Limits.MaxRequestBodySize = 0;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            WebSecurity.ApplyLimits(kestrel);
            foreach (var address in settings.Addresses)
            {
                if (address.Address is { } ip) kestrel.Listen(ip, address.Port, l => security.ConfigureListen(l));
                else if (address.Host is "localhost") kestrel.ListenLocalhost(address.Port, l => security.ConfigureListen(l));
                else if (address.Host is { } host) kestrel.Listen(ResolveHost(host), address.Port, l => security.ConfigureListen(l));
                else kestrel.ListenAnyIP(address.Port, l => security.ConfigureListen(l));
            }
        });
        var app = builder.Build();
        security.UseAuthentication(app);
        var metrics = new MetricsEndpoint(collection, renderer, settings.MaxRequests);
        app.MapGet(settings.TelemetryPath, (RequestDelegate)metrics.HandleAsync);
        var landing = LandingPage.Render(settings.TelemetryPath.TrimStart('/'), renderer.Views);
        app.MapGet("/", (RequestDelegate)(context =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            return context.Response.WriteAsync(landing);
        }));
        HealthEndpoints.Map(app, health, renderer.Views);
        return app;
    }

    private static WebSecurity LoadSecurity(string? webConfigFile, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("web");
        try
        {
            var security = WebSecurity.Create(webConfigFile, logger);
            logger.LogInformation("web: {Security}", security.Describe());
            return security;
        }
        catch (WebConfigException e)
        {
            throw new Cli.CommandLineException(e.Message, e);
        }
    }

    private static IPAddress ResolveHost(string host)
    {
        var addresses = Dns.GetHostAddresses(host);
        return addresses.Length > 0 ? addresses[0]
            : throw new Cli.CommandLineException($"--web.listen-address host '{host}' does not resolve");
    }
}
