using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ConnExporter.Tests.Web.Security;

/// <summary>
/// A throwaway PKI written as PEM files into a temporary directory: a CA, a server certificate
/// for localhost/127.0.0.1, client certificates signed by the CA (with chosen SANs) and one
/// signed by a stranger CA. Built with .NET's CertificateRequest (ECDSA P-256, fast).
/// </summary>
internal sealed class TestPki : IDisposable
{
    public TestPki()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("cx-pki-").FullName;
        using var ca = NewCa("conn-exporter test CA");
        using var stranger = NewCa("stranger CA");
        Write("ca.pem", ca.ExportCertificatePem());
        Write("stranger-ca.pem", stranger.ExportCertificatePem());
        Issue(ca, "server", serverAuth: true, dns: ["localhost"], ips: [IPAddress.Loopback]);
        Issue(ca, "server2", serverAuth: true, dns: ["localhost"], ips: [IPAddress.Loopback]);
        Issue(ca, "client", serverAuth: false, dns: ["scraper.example"], uri: "spiffe://example/prometheus");
        Issue(ca, "client-other", serverAuth: false, dns: ["other.example"]);
        Issue(stranger, "client-stranger", serverAuth: false, dns: ["scraper.example"]);
    }

    public string Directory { get; }

    public string Path(string name) => System.IO.Path.Combine(Directory, name);

    public string Write(string name, string text)
    {
        File.WriteAllText(Path(name), text);
        return Path(name);
    }

    /// <summary>The serial number of the certificate in <c>{name}.pem</c> (to tell which one a server sent).</summary>
    public string Serial(string name) => X509Certificate2.CreateFromPem(File.ReadAllText(Path(name + ".pem"))).SerialNumber;

    private static X509Certificate2 NewCa(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(2));
    }

    private void Issue(X509Certificate2 ca, string name, bool serverAuth, string[] dns, IPAddress[]? ips = null, string? uri = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var d in dns) san.AddDnsName(d);
        foreach (var ip in ips ?? []) san.AddIpAddress(ip);
        if (uri is not null) san.AddUri(new Uri(uri));
        request.CertificateExtensions.Add(san.Build());
        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-30), DateTimeOffset.UtcNow.AddDays(1), serial);
        Write(name + ".pem", cert.ExportCertificatePem());
        Write(name + ".key", key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
