using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Web.Security;

/// <summary>
/// The web config in force, re-read when its files change, as exporter-toolkit re-reads it per
/// request and per handshake. Changes are looked for at most once per
/// <see cref="CheckInterval"/>, on use, so an idle exporter reads nothing. A file that fails
/// to load keeps the last good generation and is logged once per distinct content.
/// </summary>
internal sealed class ReloadingWebConfig
{
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private volatile WebConfigState _current;
    // What the server was built with: http2 and bcrypt_concurrency stay as they were then.
    private readonly WebConfigState _initial;
    private long _nextCheck;
    private string? _rejectedFingerprint;

    private ReloadingWebConfig(string path, WebConfigState initial, ILogger logger, TimeSpan checkInterval)
    {
        Path = path;
        _current = initial;
        _initial = initial;
        _logger = logger;
        CheckInterval = checkInterval;
        _nextCheck = Stopwatch.GetTimestamp() + (long)(checkInterval.TotalSeconds * Stopwatch.Frequency);
    }

    public string Path { get; }

    public TimeSpan CheckInterval { get; }

    /// <summary>Loads <paramref name="path"/> now; a bad file throws <see cref="WebConfigException"/>.</summary>
    public static ReloadingWebConfig Load(string path, ILogger logger, TimeSpan? checkInterval = null) =>
        new(path, WebConfigState.Load(path), logger, checkInterval ?? TimeSpan.FromSeconds(1));

    /// <summary>The generation in force, after a change check when one is due.</summary>
    public WebConfigState Current
    {
        get
        {
            if (Stopwatch.GetTimestamp() >= Volatile.Read(ref _nextCheck)) Check();
            return _current;
        }
    }

    /// <summary>The reason the files on disk were last refused, while they still are; null otherwise.</summary>
    public string? Rejection { get; private set; }

    /// <summary>Looks at the files now; true when a new generation was loaded.</summary>
    public bool Check()
    {
        lock (_gate)
        {
            Volatile.Write(ref _nextCheck, Stopwatch.GetTimestamp() + (long)(CheckInterval.TotalSeconds * Stopwatch.Frequency));
            var current = _current;
            string fingerprint = WebConfigFiles.Fingerprint(Path);
            if (fingerprint == current.Fingerprint || fingerprint == _rejectedFingerprint) return false;
            try
            {
                var next = WebConfigState.Load(Path);
                // The listeners were bound as HTTP or HTTPS, with or without HTTP/2, at start.
                if ((next.Tls is null) != (current.Tls is null))
                    throw new WebConfigException($"web config {Path}: turning TLS {(next.Tls is null ? "off" : "on")} needs a restart");
                // Compared with what is in force, not with the last file: changing a value and
                // back needs no restart, and each reload that differs says so again.
                if (next.Config.Http.Http2 != _initial.Config.Http.Http2)
                    _logger.LogWarning("web config {Path}: http2 {Wanted} applies after a restart; {Used} stays in force",
                        Path, next.Config.Http.Http2, _initial.Config.Http.Http2);
                if (next.Config.AuthThrottle.BcryptConcurrency != _initial.Config.AuthThrottle.BcryptConcurrency)
                    _logger.LogWarning("web config {Path}: auth_throttle.bcrypt_concurrency {Wanted} applies after a restart; {Used} stays in force",
                        Path, next.Config.AuthThrottle.BcryptConcurrency, _initial.Config.AuthThrottle.BcryptConcurrency);
                _current = next;
                _rejectedFingerprint = null;
                Rejection = null;
                _logger.LogInformation("web config {Path} reloaded: TLS {Tls}, {Users} basic auth users", Path,
                    next.Tls is null ? "off" : "on", next.Config.BasicAuthUsers.Count);
                return true;
            }
            catch (WebConfigException e)
            {
                _rejectedFingerprint = fingerprint;
                Rejection = e.Message;
                _logger.LogError("keeping the last good web config: {Reason}", e.Message);
                return false;
            }
        }
    }
}
