using System.Net.Security;
using System.Security.Authentication;

namespace ConnExporter.Web.Security;

/// <summary>
/// tls_server_config of exporter-toolkit's web config. Relative paths are already resolved
/// against the config file's directory; inline PEM (<c>cert</c>, <c>key</c>, <c>client_ca</c>)
/// is used when the matching path is empty.
/// </summary>
public sealed record TlsServerConfig
{
    public string CertFile { get; init; } = "";
    public string KeyFile { get; init; } = "";
    public string Cert { get; init; } = "";
    public string Key { get; init; } = "";
    public string ClientCaFile { get; init; } = "";
    public string ClientCa { get; init; } = "";
    public ClientAuthType ClientAuth { get; init; } = ClientAuthType.NoClientCert;

    /// <summary>Set when client_auth_type was written at all (exporter-toolkit counts that as TLS on).</summary>
    public bool ClientAuthGiven { get; init; }

    /// <summary>Empty: OpenSSL's defaults.</summary>
    public IReadOnlyList<TlsCipherSuite> CipherSuites { get; init; } = [];

    /// <summary>Validated names; not applied (see <see cref="GoTlsNames.Curves"/>).</summary>
    public IReadOnlyList<string> CurvePreferences { get; init; } = [];

    public string MinVersion { get; init; } = "TLS12";
    public string MaxVersion { get; init; } = "TLS13";

    /// <summary>Every version from min_version to max_version.</summary>
    public SslProtocols Protocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>Accepted for compatibility; SslStream (OpenSSL) always prefers the server's order.</summary>
    public bool PreferServerCipherSuites { get; init; } = true;

    /// <summary>Null when not configured; else the client certificate must carry one of these SANs.</summary>
    public IReadOnlyList<string>? ClientAllowedSans { get; init; }

    /// <summary>As exporter-toolkit's TLSConfig.IsEnabled: any certificate, key, CA or client
    /// auth setting turns TLS on (and then cert and key are required).</summary>
    public bool IsEnabled =>
        CertFile.Length > 0 || Cert.Length > 0 || KeyFile.Length > 0 || Key.Length > 0
        || ClientCaFile.Length > 0 || ClientCa.Length > 0 || ClientAuthGiven;
}
