using System.Net.Security;
using System.Security.Authentication;

namespace ConnExporter.Web.Security;

/// <summary>
/// The names exporter-toolkit's YAML uses for TLS settings, which are Go's crypto/tls names,
/// mapped to what .NET's SslStream takes.
/// </summary>
internal static class GoTlsNames
{
    /// <summary>Go's <c>tls.CipherSuites()</c> (the suites exporter-toolkit accepts by name);
    /// each has a .NET <see cref="TlsCipherSuite"/> of the same IANA name.</summary>
    public static readonly IReadOnlyDictionary<string, TlsCipherSuite> CipherSuites =
        new Dictionary<string, TlsCipherSuite>(StringComparer.Ordinal)
        {
            ["TLS_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_AES_128_GCM_SHA256,
            ["TLS_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_AES_256_GCM_SHA384,
            ["TLS_CHACHA20_POLY1305_SHA256"] = TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
            ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
            ["TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
            ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
            ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
            ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            ["TLS_RSA_WITH_AES_128_CBC_SHA"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA,
            ["TLS_RSA_WITH_AES_256_CBC_SHA"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA,
            ["TLS_RSA_WITH_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
            ["TLS_RSA_WITH_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
        };

    /// <summary>Go applies cipher_suites to TLS 1.2 and below only; TLS 1.3 keeps all three.</summary>
    public static readonly TlsCipherSuite[] Tls13Suites =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    ];

    /// <summary>exporter-toolkit's curve names. SslStream has no per-server group list, so these
    /// are checked and then left to OpenSSL's defaults (which prefer X25519, then P-256).</summary>
    public static readonly IReadOnlySet<string> Curves =
        new HashSet<string>(StringComparer.Ordinal) { "CurveP256", "CurveP384", "CurveP521", "X25519" };

    /// <summary>min_version / max_version, ordered oldest first.</summary>
    public static readonly IReadOnlyList<(string Name, SslProtocols Protocol)> Versions =
    [
#pragma warning disable SYSLIB0039, CA5397 // TLS 1.0/1.1 are obsolete, but the schema names them; OpenSSL's policy may still refuse them.
        ("TLS10", SslProtocols.Tls),
        ("TLS11", SslProtocols.Tls11),
#pragma warning restore SYSLIB0039, CA5397
        ("TLS12", SslProtocols.Tls12),
        ("TLS13", SslProtocols.Tls13),
    ];

    public static int VersionIndex(string name)
    {
        for (int i = 0; i < Versions.Count; i++)
            if (Versions[i].Name == name) return i;
        return -1;
    }

    /// <summary>The protocols from <paramref name="min"/> to <paramref name="max"/> (indexes into <see cref="Versions"/>).</summary>
    public static SslProtocols Range(int min, int max)
    {
        var protocols = SslProtocols.None;
        for (int i = min; i <= max; i++) protocols |= Versions[i].Protocol;
        return protocols;
    }
}
