namespace ConnExporter.Web.Security;

/// <summary>
/// A parsed and checked <c>--web.config.file</c>: exporter-toolkit's schema unchanged
/// (tls_server_config, http_server_config, rate_limit, basic_auth_users), so one file serves
/// node_exporter and this exporter, plus one key of its own, auth_throttle (node_exporter would
/// refuse a file that has it; its defaults apply without it).
/// </summary>
public sealed record WebConfig
{
    /// <summary>Larger files are refused: a web config is a few hundred bytes.</summary>
    public const int MaxFileBytes = 1 << 20;

    public required string Path { get; init; }
    public TlsServerConfig Tls { get; init; } = new();
    public HttpServerConfig Http { get; init; } = new();
    public RateLimitConfig RateLimit { get; init; } = new(0, TimeSpan.Zero);

    /// <summary>auth_throttle, conn-exporter's own key: on by default.</summary>
    public AuthThrottleConfig AuthThrottle { get; init; } = AuthThrottleConfig.Default;

    /// <summary>User name → bcrypt hash; empty means no authentication.</summary>
    public IReadOnlyDictionary<string, string> BasicAuthUsers { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Reads and checks <paramref name="path"/>: YAML, strict keys, values, and the rules
    /// between them. Throws <see cref="WebConfigException"/> naming the file; nothing else.
    /// Certificate files are read by <see cref="TlsMaterial.Load"/>.
    /// </summary>
    public static WebConfig Load(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new WebConfigException($"web config {path}: no such file");
            if (info.Length > MaxFileBytes) throw new WebConfigException($"web config {path}: larger than {MaxFileBytes} bytes");
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WebConfigException($"web config {path}: {FileProblem.Describe(e)}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses YAML text as if read from <paramref name="path"/> (relative paths in it
    /// are resolved against that file's directory).</summary>
    public static WebConfig Parse(string yaml, string path)
    {
        try
        {
            return WebConfigParser.Parse(yaml, path);
        }
        catch (WebConfigProblem e)
        {
            throw new WebConfigException($"web config {path}: {e.Message}", e);
        }
    }
}
