using System.Net;
using ConnExporter.Inventory;
using ConnExporter.Metrics;
using ConnExporter.Systemd;
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
        /// <summary>Sockets systemd passed (socket activation); when any, <see cref="Addresses"/> is not used.</summary>
        public IReadOnlyList<PassedSocket> Sockets { get; init; } = [];

        /// <summary>How long a stop waits for scrapes in flight before closing their connections.</summary>
        public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

        /// <summary>Marked at each scrape, for the service status.</summary>
        public ScrapeClock? Scrapes { get; init; }

        /// <summary>Where SIGHUP reloads are registered; the web config joins when there is one.</summary>
        public ReloadHooks? Reloads { get; init; }

        /// <summary>--web.config.file: TLS, basic auth, headers, rate limit; null for plain HTTP.</summary>
        public string? WebConfigFile { get; init; }

        /// <summary>The web config already loaded and checked (<see cref="LoadSecurity"/>), so that a bad
        /// file is refused before anything else starts; null: loaded from <see cref="WebConfigFile"/> here.</summary>
        public WebSecurity? Security { get; init; }

        /// <summary>Serve the /connections page and /api/v1/connections (off: --web.disable-ui).</summary>
        public bool Ui { get; init; } = true;
    }

    public static WebApplication Build(Settings settings, SharedCollection collection, ScrapeRenderer renderer,
        ExporterHealth health, ILoggerFactory loggers)
    {
        var security = settings.Security ?? LoadSecurity(settings.WebConfigFile, loggers);
        if (!security.TlsEnabled && settings.Sockets.FirstOrDefault(s => s.Role == SocketRole.Https) is { } https)
            throw new Cli.CommandLineException(
                $"systemd passed socket {https} for HTTPS, but no --web.config.file enables TLS; add tls_server_config to the web config or rename the socket");
        if (settings.WebConfigFile is not null) settings.Reloads?.Register("web config", security.Reload);
        // Production whatever DOTNET_ENVIRONMENT says: Development would add the exception page.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = Environments.Production });
        security.ConfigureBuilder(builder.WebHost);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // A scrape is a small GET: keep headers small, refuse bodies, drop slow clients.
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
            kestrel.Limits.MaxRequestBodySize = 0;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            WebSecurity.ApplyLimits(kestrel);
            foreach (var socket in settings.Sockets)
            {
                // Every listener follows the web config, as node_exporter's do; a socket named
                // "https" additionally promises TLS, so it is refused (above) when TLS is off.
                kestrel.ListenHandle((ulong)socket.Fd, l => security.ConfigureListen(l));
            }
            foreach (var address in settings.Sockets.Count > 0 ? [] : settings.Addresses)
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
        var scrapes = settings.Scrapes;
        app.MapGet(settings.TelemetryPath, scrapes is null ? metrics.HandleAsync : (RequestDelegate)(context =>
        {
            scrapes.Mark();
            return metrics.HandleAsync(context);
        }));
        if (settings.Ui)
        {
            var api = new ConnectionsApi(collection, settings.MaxRequests);
            app.MapGet(ConnectionsApi.Path, (RequestDelegate)api.HandleAsync);
            ConnectionsPage.Map(app);
        }
        var landing = LandingPage.Render(settings.TelemetryPath.TrimStart('/'), renderer.Views, settings.Ui);
        app.MapGet("/", (RequestDelegate)(context =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            return context.Response.WriteAsync(landing);
        }));
        HealthEndpoints.Map(app, health, renderer);
        return app;
    }

    /// <summary>Loads and checks --web.config.file; a bad file is a <see cref="Cli.CommandLineException"/> with one line.</summary>
    public static WebSecurity LoadSecurity(string? webConfigFile, ILoggerFactory loggers)
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
