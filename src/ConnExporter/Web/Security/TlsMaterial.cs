using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ConnExporter.Web.Security;

/// <summary>
/// The files a tls_server_config names, loaded: the server certificate with its key and the
/// chain that follows it in cert_file, and the client CAs. Built once per (re)load and shared
/// by every handshake until the files change.
/// </summary>
internal sealed class TlsMaterial
{
    private TlsMaterial(SslStreamCertificateContext context, X509Certificate2Collection clientCas, CipherSuitesPolicy? ciphers)
    {
        Context = context;
        ClientCas = clientCas;
        CipherSuites = ciphers;
    }

    public SslStreamCertificateContext Context { get; }

    /// <summary>Empty: client certificates verify against the system's roots (as Go does with no ClientCAs).</summary>
    public X509Certificate2Collection ClientCas { get; }

    public CipherSuitesPolicy? CipherSuites { get; }

    /// <summary>Loads what <paramref name="tls"/> names; a <see cref="WebConfigException"/> says
    /// which file is wrong and how.</summary>
    public static TlsMaterial Load(TlsServerConfig tls, string configPath)
    {
        string certPem = Read(tls.CertFile, tls.Cert, "cert_file", configPath);
        string keyPem = Read(tls.KeyFile, tls.Key, "key_file", configPath);
        string where = tls.CertFile.Length > 0 ? $"cert_file {tls.CertFile}" : "cert";

        X509Certificate2 leaf;
        var chain = new X509Certificate2Collection();
        try
        {
            leaf = X509Certificate2.CreateFromPem(certPem, keyPem);
            chain.ImportFromPem(certPem);
        }
        catch (ArgumentException e)
        {
            throw new WebConfigException($"web config {configPath}: failed to load X509KeyPair: the private key does not match {where}", e);
        }
        catch (CryptographicException e)
        {
            throw new WebConfigException($"web config {configPath}: failed to load X509KeyPair: no PEM certificate and private key found in {where} and the key", e);
        }
        if (!leaf.HasPrivateKey)
            throw new WebConfigException($"web config {configPath}: the key does not match {where}");

        var clientCas = new X509Certificate2Collection();
        if (tls.ClientCaFile.Length > 0 || tls.ClientCa.Length > 0)
        {
            string caPem = Read(tls.ClientCaFile, tls.ClientCa, "client_ca_file", configPath);
            try
            {
                clientCas.ImportFromPem(caPem);
            }
            catch (CryptographicException e)
            {
                throw new WebConfigException($"web config {configPath}: client_ca_file {tls.ClientCaFile}: not PEM certificates", e);
            }
            if (clientCas.Count == 0)
                throw new WebConfigException($"web config {configPath}: client_ca_file {tls.ClientCaFile}: no certificates found");
        }

        // The leaf is chain[0]; the rest is sent as intermediates. offline: never fetch AIA.
        var intermediates = new X509Certificate2Collection();
        foreach (var c in chain)
            if (!c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)) intermediates.Add(c);
        var trust = clientCas.Count > 0 && tls.ClientAuth != ClientAuthType.NoClientCert
            ? SslCertificateTrust.CreateForX509Collection(clientCas, sendTrustInHandshake: true)
            : null;
        SslStreamCertificateContext context;
        try
        {
            context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true, trust);
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException or NotSupportedException)
        {
            throw new WebConfigException($"web config {configPath}: {where}: cannot be used for TLS ({e.GetType().Name})", e);
        }

        CipherSuitesPolicy? ciphers = null;
        if (tls.CipherSuites.Count > 0)
        {
            if (OperatingSystem.IsWindows())
                throw new WebConfigException($"web config {configPath}: cipher_suites cannot be applied on Windows");
            ciphers = new CipherSuitesPolicy(tls.CipherSuites.Concat(GoTlsNames.Tls13Suites).Distinct());
        }
        return new TlsMaterial(context, clientCas, ciphers);
    }

    private static string Read(string file, string inline, string key, string configPath)
    {
        if (file.Length == 0) return inline;
        try
        {
            var info = new FileInfo(file);
            if (info.Exists && info.Length > WebConfig.MaxFileBytes)
                throw new WebConfigException($"web config {configPath}: {key} {file}: larger than {WebConfig.MaxFileBytes} bytes");
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WebConfigException($"web config {configPath}: failed to read {key} ({file}): {FileProblem.Describe(e)}", e);
        }
    }
}
