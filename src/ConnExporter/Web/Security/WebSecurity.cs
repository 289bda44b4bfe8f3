using System.Net.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Web.Security;

/// <summary>
/// What <c>--web.config.file</c> does to the server: TLS on every listener
/// (<see cref="ConfigureListen"/>), and before every endpoint (<see cref="UseAuthentication"/>)
/// rate limiting, the configured response headers and basic auth. Without a config file
/// listeners stay plain HTTP and only the guard against leaking exceptions is installed.
/// </summary>
public sealed class WebSecurity
{
    /// <summary>What <c>WWW-Authenticate</c> says on a 401.</summary>
    public const string Realm = "conn-exporter";

    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly ReloadingWebConfig? _config;
    private readonly ILogger _logger;
    private readonly BasicAuthentication _basicAuth;
    private readonly RequestRateLimit _rateLimit;

    private WebSecurity(ReloadingWebConfig? config, ILogger logger)
    {
        _config = config;
        _logger = logger;
        var initial = config?.Current;
        TlsEnabled = initial?.Tls is not null;
        Http2 = initial?.Config.Http.Http2 ?? false;
        _rateLimit = new RequestRateLimit(initial?.Config.RateLimit ?? new RateLimitConfig(0, TimeSpan.Zero));
        _basicAuth = new BasicAuthentication((initial?.Config.AuthThrottle ?? AuthThrottleConfig.Default).BcryptConcurrency);
    }

    /// <summary>
    /// Loads <paramref name="configPath"/> (null or empty: no config, plain HTTP). A bad file
    /// throws <see cref="WebConfigException"/> with one line naming the file and the problem.
    /// </summary>
    public static WebSecurity Create(string? configPath, ILogger logger, TimeSpan? checkInterval = null)
    {
        if (string.IsNullOrEmpty(configPath)) return new WebSecurity(null, logger);
        var config = ReloadingWebConfig.Load(configPath, logger, checkInterval);
        var security = new WebSecurity(config, logger);
        if (config.Current.Config.Tls.CurvePreferences.Count > 0)
            logger.LogWarning("web config {Path}: curve_preferences are checked but not applied: SslStream uses OpenSSL's default groups", configPath);
        return security;
    }

    /// <summary>Listeners are served with TLS (decided at start: turning it on or off needs a restart).</summary>
    public bool TlsEnabled { get; }

    /// <summary>HTTP/2 is offered through ALPN (TLS listeners only).</summary>
    public bool Http2 { get; }

    internal ReloadingWebConfig? Config => _config;

    internal BasicAuthentication BasicAuth => _basicAuth;

    /// <summary>The authentication self-metrics (failures, throttled requests, bcrypt runs, throttle table size).</summary>
    public ConnExporter.Metrics.ISelfMetrics AuthMetrics => _basicAuth.Metrics;

    /// <summary>
    /// Re-reads the web config now (SIGHUP) instead of at the next periodic check; throws when
    /// the files on disk are refused, so the reload is reported failed while the last good
    /// configuration stays in force.
    /// </summary>
    public void Reload()
    {
        if (_config is null) return;
        _config.Check();
        if (_config.Rejection is { } reason) throw new WebConfigException(reason);
    }

    /// <summary>One line for the start-up log.</summary>
    public string Describe() => _config is null ? "TLS off, no authentication"
        : $"TLS {(TlsEnabled ? "on" : "off")} (http2 {(TlsEnabled && Http2 ? "on" : "off")}), "
          + $"{_config.Current.Config.BasicAuthUsers.Count} basic auth users, config {_config.Path}";

    /// <summary>
    /// Serves <paramref name="listen"/> with TLS when the config enables it; every handshake
    /// takes the certificate, client CA and client-auth settings of the current config
    /// generation, so renewed certificates apply without a restart. Also usable for listeners
    /// that arrive by socket activation.
    /// </summary>
    /// <returns>True when TLS was applied.</returns>
    public bool ConfigureListen(ListenOptions listen)
    {
        if (_config is null) return false;
        // Before TLS: a flooding blocked address must not even cost a handshake.
        listen.Use(next => connection => RefuseFlooding(connection) ? Task.CompletedTask : next(connection));
        if (!TlsEnabled) return false;
        listen.Protocols = Http2 ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            HandshakeTimeout = HandshakeTimeout,
            OnConnection = _ => ValueTask.FromResult(ServerOptions()),
        });
        return true;
    }

    /// <summary>
    /// True (the connection is then closed unread) when the client's address is blocked by the
    /// auth throttle and already has every request it may have waiting for its 429.
    /// </summary>
    private bool RefuseFlooding(Microsoft.AspNetCore.Connections.ConnectionContext connection)
    {
        var config = _config!.Current.Config;
        if (config.BasicAuthUsers.Count == 0) return false;
        var client = (connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address;
        if (!_basicAuth.Throttle.IsFlooding(client, config.AuthThrottle)) return false;
        _basicAuth.Metrics.CountRefusedConnection();
        return true;
    }

    /// <summary>The SslStream options for one handshake, from the current generation.</summary>
    internal SslServerAuthenticationOptions ServerOptions()
    {
        var state = _config!.Current;
        var tls = state.Config.Tls;
        var material = state.Tls!;
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = material.Context,
            EnabledSslProtocols = tls.Protocols,
            CipherSuitesPolicy = material.CipherSuites,
            ClientCertificateRequired = tls.ClientAuth != ClientAuthType.NoClientCert,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                ClientCertificateCheck.IsAccepted(tls, material, certificate, chain),
            ApplicationProtocols = Http2
                ? [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11]
                : [SslApplicationProtocol.Http11],
        };
    }

    /// <summary>Adds Kestrel's HTTPS services when TLS is on (the slim builder leaves them out).</summary>
    public void ConfigureBuilder(IWebHostBuilder webHost)
    {
        if (TlsEnabled) webHost.UseKestrelHttpsConfiguration();
    }

    /// <summary>
    /// Runs before every endpoint, health probes included (as exporter-toolkit protects every
    /// path): an unhandled exception becomes a bare 500; a request with a body gets 413; then
    /// rate limit (429), configured headers, the auth throttle (429 with <c>Retry-After</c>), basic
    /// auth (401 with <c>WWW-Authenticate: Basic realm="conn-exporter"</c>).
    /// </summary>
    public void UseAuthentication(IApplicationBuilder app) => app.Use(HandleAsync);

    internal async Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            // Every endpoint is a GET: a request body is refused before it is read.
            if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: true })
            {
                await Plain(context, StatusCodes.Status413PayloadTooLarge, "Request Entity Too Large");
                return;
            }
            if (_config is null)
            {
                await next(context);
                return;
            }
            var config = _config.Current.Config;
            if (!_rateLimit.TryAcquire(config.RateLimit))
            {
                await Plain(context, StatusCodes.Status429TooManyRequests, "Too Many Requests");
                return;
            }
            foreach (var (name, value) in config.Http.Headers) context.Response.Headers[name] = value;
            if (config.BasicAuthUsers.Count > 0 && !await AuthenticateAsync(context, config))
                return;
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            // Never a stack trace to the client: log it, answer a bare 500.
            _logger.LogError("{Method} {Path} failed: {Error}", context.Request.Method, context.Request.Path.Value, e.ToString());
            context.Response.Clear();
            await Plain(context, StatusCodes.Status500InternalServerError, "Internal Server Error");
        }
    }

    /// <summary>
    /// Basic auth behind the throttle: a blocked address gets 429 with <c>Retry-After</c> before
    /// its credentials are even decoded, so it costs nothing; whatever it sends, a correct
    /// password included (see SECURITY.md). False when the response has been written.
    /// </summary>
    private async ValueTask<bool> AuthenticateAsync(HttpContext context, WebConfig config)
    {
        var client = context.Connection.RemoteIpAddress;
        var throttle = config.AuthThrottle;
        var outcome = _basicAuth.Throttle.IsBlocked(client, throttle, out _) ? AuthOutcome.Throttled
            : await _basicAuth.CheckAsync(config.BasicAuthUsers, context.Request.Headers.Authorization, client, throttle, context.RequestAborted);
        switch (outcome)
        {
            case AuthOutcome.Authorized:
                return true;
            case AuthOutcome.Throttled:
                _basicAuth.Metrics.CountThrottled();
                await TarpitAsync(context, client, throttle);
                // Asked after the wait: a block that began while this request waited for bcrypt has its full length left.
                _basicAuth.Throttle.IsBlocked(client, throttle, out var retryAfter);
                context.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Plain(context, StatusCodes.Status429TooManyRequests, "Too Many Requests");
                return false;
            default:
                context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{Realm}\"";
                await Plain(context, StatusCodes.Status401Unauthorized, "Unauthorized");
                return false;
        }
    }

    /// <summary>
    /// Holds a blocked client's request for blocked_delay before its 429. Without it an attacker
    /// that bcrypt no longer holds back sends refusals at HTTP speed (about 1,500 a second on two
    /// cores, a core's worth of work: bench/RESULTS.md); with it each of its connections gets one
    /// answer per delay, and waiting costs a timer, not CPU. When the address (or the server)
    /// has no waiting place left the 429 goes out at once and the HTTP/1.1 connection is closed,
    /// and the next connections from the address are closed on accept (<see cref="RefuseFlooding"/>).
    /// </summary>
    private async ValueTask TarpitAsync(HttpContext context, System.Net.IPAddress? client, AuthThrottleConfig throttle)
    {
        if (throttle.BlockedDelay <= TimeSpan.Zero) return;
        if (!_basicAuth.Throttle.TryStartWaiting(client))
        {
            if (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol))
                context.Response.Headers.Connection = "close";
            return;
        }
        try
        {
            await Task.Delay(throttle.BlockedDelay, context.RequestAborted);
        }
        finally
        {
            _basicAuth.Throttle.StopWaiting(client);
        }
    }

    private static Task Plain(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text + "\n");
    }

    /// <summary>
    /// Kestrel limits for a GET-only endpoint facing possibly hostile clients: small headers,
    /// no bodies, few HTTP/2 streams, bounded connections; slow clients are dropped by the
    /// header timeout and the minimum data rates.
    /// </summary>
    public static void ApplyLimits(KestrelServerOptions kestrel)
    {
        var limits = kestrel.Limits;
        limits.MaxRequestHeaderCount = 64;
        limits.MaxRequestHeadersTotalSize = Math.Min(limits.MaxRequestHeadersTotalSize, 16 * 1024);
        limits.MaxRequestLineSize = Math.Min(limits.MaxRequestLineSize, 8 * 1024);
        limits.MaxRequestBodySize = 0;
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
        limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(10));
        limits.KeepAliveTimeout = TimeSpan.FromSeconds(130);
        limits.MaxConcurrentConnections = 1024;
        limits.MaxConcurrentUpgradedConnections = 0;
        limits.Http2.MaxStreamsPerConnection = 16;
        limits.Http2.MaxRequestHeaderFieldSize = 8 * 1024;
        limits.Http2.HeaderTableSize = 4096;
    }
}
