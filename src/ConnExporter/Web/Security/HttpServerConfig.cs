namespace ConnExporter.Web.Security;

/// <summary>http_server_config: HTTP/2 over TLS (on by default) and extra response headers.</summary>
public sealed record HttpServerConfig
{
    public bool Http2 { get; init; } = true;

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The only headers exporter-toolkit lets a config set, with the values allowed where the
    /// header is an enumeration (null: any value). Private there "to ensure consistency in the
    /// Prometheus ecosystem"; kept identical here so one file serves both.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]?> AllowedHeaders =
        new Dictionary<string, string[]?>(StringComparer.Ordinal)
        {
            ["Strict-Transport-Security"] = null,
            ["X-Content-Type-Options"] = ["nosniff"],
            ["X-Frame-Options"] = ["deny", "sameorigin"],
            ["X-XSS-Protection"] = null,
            ["Content-Security-Policy"] = null,
        };
}
