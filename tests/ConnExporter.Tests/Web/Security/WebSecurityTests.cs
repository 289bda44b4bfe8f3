using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Tests.Web.Security;

/// <summary>The secured endpoint against the real curl: TLS, mTLS, basic auth, reload, limits.</summary>
public sealed class WebSecurityTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private string Config(string yaml) => _pki.Write("web.yml", yaml);

    private const string ServerTls = "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n";

    [Fact]
    public async Task TlsNeedsTheCa()
    {
        await using var server = new SecuredTestServer(Config(ServerTls));
        var trusted = Curl.Get(server.Url("/metrics"), "--cacert", _pki.Path("ca.pem"));
        Assert.Equal(200, trusted.Status);
        Assert.Equal("ok", trusted.Body);
        var untrusted = Curl.Get(server.Url("/metrics"));
        Assert.Equal(0, untrusted.Status);
        Assert.Contains("certificate", untrusted.Stderr, StringComparison.OrdinalIgnoreCase);
        // Plain HTTP to the TLS port gets no HTTP answer.
        Assert.NotEqual(200, Curl.Get(server.Url("/metrics", "http")).Status);
    }

    [Fact]
    public async Task Http2IsOfferedUnlessDisabled()
    {
        await using (var server = new SecuredTestServer(Config(ServerTls)))
            Assert.Equal("2", Curl.Get(server.Url("/metrics"), "--cacert", _pki.Path("ca.pem")).HttpVersion);
        await using (var server = new SecuredTestServer(Config(ServerTls + "http_server_config:\n  http2: false\n")))
            Assert.Equal("1.1", Curl.Get(server.Url("/metrics"), "--cacert", _pki.Path("ca.pem")).HttpVersion);
    }

    [Fact]
    public async Task BasicAuthOverTls()
    {
        await using var server = new SecuredTestServer(Config(ServerTls + $"""
            http_server_config:
              headers:
                X-Content-Type-Options: nosniff
            basic_auth_users:
              alice: {BcryptTests.S3cret2b}
              bob: {BcryptTests.Hunter2a}
            """));
        string ca = _pki.Path("ca.pem");
        var missing = Curl.Get(server.Url("/metrics"), "--cacert", ca, "-i");
        Assert.Equal(401, missing.Status);
        Assert.Contains("www-authenticate: Basic realm=\"conn-exporter\"", missing.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("x-content-type-options: nosniff", missing.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(401, Curl.Get(server.Url("/metrics"), "--cacert", ca, "-u", "alice:wrong").Status);
        Assert.Equal(401, Curl.Get(server.Url("/metrics"), "--cacert", ca, "-u", "mallory:s3cret").Status);
        Assert.Equal(401, Curl.Get(server.Url("/metrics"), "--cacert", ca, "-u", "alice:").Status);
        Assert.Equal(401, Curl.Get(server.Url("/-/healthy"), "--cacert", ca).Status);
        Assert.Equal(401, Curl.Get(server.Url("/no-such-path"), "--cacert", ca).Status);
        var ok = Curl.Get(server.Url("/metrics"), "--cacert", ca, "-u", "alice:s3cret", "-i");
        Assert.Equal(200, ok.Status);
        Assert.Contains("x-content-type-options: nosniff", ok.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(200, Curl.Get(server.Url("/metrics"), "--cacert", ca, "-u", "bob:hunter2").Status);
    }

    [Fact]
    public async Task BasicAuthWithoutTls()
    {
        await using var server = new SecuredTestServer(Config($"basic_auth_users:\n  alice: {BcryptTests.S3cret2b}\n"));
        Assert.False(server.Security.TlsEnabled);
        Assert.Equal(401, Curl.Get(server.Url("/metrics", "http")).Status);
        Assert.Equal(200, Curl.Get(server.Url("/metrics", "http"), "-u", "alice:s3cret").Status);
    }

    [Fact]
    public async Task MutualTlsAcceptsOnlyCertificatesOfTheCa()
    {
        await using var server = new SecuredTestServer(Config(ServerTls
            + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n"));
        string ca = _pki.Path("ca.pem");
        Assert.Equal(200, Curl.Get(server.Url("/metrics"), "--cacert", ca, "--cert", _pki.Path("client.pem"), "--key", _pki.Path("client.key")).Status);
        Assert.Equal(0, Curl.Get(server.Url("/metrics"), "--cacert", ca).Status);
        Assert.Equal(0, Curl.Get(server.Url("/metrics"), "--cacert", ca, "--cert", _pki.Path("client-stranger.pem"), "--key", _pki.Path("client-stranger.key")).Status);
        // A server certificate (serverAuth usage only) is not a client certificate.
        Assert.Equal(0, Curl.Get(server.Url("/metrics"), "--cacert", ca, "--cert", _pki.Path("server.pem"), "--key", _pki.Path("server.key")).Status);
    }

    [Fact]
    public async Task AllowedSansNarrowTheClients()
    {
        await using var server = new SecuredTestServer(Config(ServerTls
            + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  client_allowed_sans: [\"spiffe://example/prometheus\"]\n"));
        string ca = _pki.Path("ca.pem");
        Assert.Equal(200, Curl.Get(server.Url("/metrics"), "--cacert", ca, "--cert", _pki.Path("client.pem"), "--key", _pki.Path("client.key")).Status);
        Assert.Equal(0, Curl.Get(server.Url("/metrics"), "--cacert", ca, "--cert", _pki.Path("client-other.pem"), "--key", _pki.Path("client-other.key")).Status);
    }

    [Fact]
    public async Task VerifyClientCertIfGiven()
    {
        await using var server = new SecuredTestServer(Config(ServerTls
            + "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.pem\n"));
        string ca = _pki.Path("ca.pem");
        Assert.Equal(200, Curl.Get(server.Url("/metrics"), "--cacert", ca).Status);
        Assert.Equal(200, Curl.Get(server.Url("/metrics"), "--cacert", ca, "--cert", _pki.Path("client.pem"), "--key", _pki.Path("client.key")).Status);
        Assert.Equal(0, Curl.Get(server.Url("/metrics"), "--cacert", ca, "--cert", _pki.Path("client-stranger.pem"), "--key", _pki.Path("client-stranger.key")).Status);
    }

    [Fact]
    public async Task RequireAnyClientCertTakesUnverifiedCertificates()
    {
        await using var server = new SecuredTestServer(Config(ServerTls + "  client_auth_type: RequireAnyClientCert\n"));
        string ca = _pki.Path("ca.pem");
        Assert.Equal(0, Curl.Get(server.Url("/metrics"), "--cacert", ca).Status);
        Assert.Equal(200, Curl.Get(server.Url("/metrics"), "--cacert", ca, "--cert", _pki.Path("client-stranger.pem"), "--key", _pki.Path("client-stranger.key")).Status);
    }

    [Fact]
    public async Task CertificateAndUsersReloadWithoutRestart_BadFileKeepsLastGood()
    {
        string path = Config(ServerTls + $"basic_auth_users:\n  alice: {BcryptTests.S3cret2b}\n");
        await using var server = new SecuredTestServer(path);
        string ca = _pki.Path("ca.pem");
        Assert.Equal(_pki.Serial("server"), await ServedSerialAsync(server.Port));
        Assert.Equal(200, Curl.Get(server.Url("/metrics"), "--cacert", ca, "-u", "alice:s3cret").Status);

        // Renewal in place: the next handshake serves the new certificate.
        File.Copy(_pki.Path("server2.pem"), _pki.Path("server.pem"), overwrite: true);
        File.Copy(_pki.Path("server2.key"), _pki.Path("server.key"), overwrite: true);
        Assert.Equal(_pki.Serial("server2"), await ServedSerialAsync(server.Port));

        // New password for alice: the old one stops working at once.
        Config(ServerTls + $"basic_auth_users:\n  alice: {BcryptTests.Hunter2a}\n");
        Assert.Equal(401, Curl.Get(server.Url("/metrics"), "--cacert", ca, "-u", "alice:s3cret").Status);
        Assert.Equal(200, Curl.Get(server.Url("/metrics"), "--cacert", ca, "-u", "alice:hunter2").Status);

        // A broken file is logged once and the last good config stays.
        Config(ServerTls + "basic_auth_users:\n  alice: [oops\n");
        Assert.Equal(200, Curl.Get(server.Url("/metrics"), "--cacert", ca, "-u", "alice:hunter2").Status);
        Assert.Equal(200, Curl.Get(server.Url("/metrics"), "--cacert", ca, "-u", "alice:hunter2").Status);
        var errors = server.Logger.Entries.Where(e => e.Level == LogLevel.Error).ToList();
        var error = Assert.Single(errors);
        Assert.Contains("keeping the last good web config", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);

        // A key that no longer matches the certificate is refused too.
        File.Copy(_pki.Path("client.key"), _pki.Path("server.key"), overwrite: true);
        Config(ServerTls + $"basic_auth_users:\n  alice: {BcryptTests.Hunter2a}\n");
        Assert.Equal(_pki.Serial("server2"), await ServedSerialAsync(server.Port));
        Assert.Contains(server.Logger.Entries, e => e.Message.Contains("private key does not match", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExceptionsBecomeBare500()
    {
        // The test server runs as Development: even then no exception page leaks.
        await using var server = new SecuredTestServer(null);
        var response = Curl.Get(server.Url("/boom", "http"), "-i");
        Assert.Equal(500, response.Status);
        Assert.DoesNotContain("secret-detail", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", response.Body, StringComparison.Ordinal);
        Assert.Contains(server.Logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("secret-detail", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RequestBodiesAreRefused()
    {
        await using var server = new SecuredTestServer(null);
        Assert.Equal(413, Curl.Get(server.Url("/metrics", "http"), "-X", "GET", "--data-binary", "hello").Status);
        Assert.Equal(413, Curl.Get(server.Url("/metrics", "http"), "-X", "GET", "-H", "Transfer-Encoding: chunked", "--data-binary", "hello").Status);
        Assert.Equal(200, Curl.Get(server.Url("/metrics", "http")).Status);
    }

    [Fact]
    public async Task OversizedHeadersAreRefused()
    {
        await using var server = new SecuredTestServer(null);
        var big = "X-Big: " + new string('a', 20 * 1024);
        Assert.Equal(431, Curl.Get(server.Url("/metrics", "http"), "-H", big).Status);
        var many = Enumerable.Range(0, 80).SelectMany(i => new[] { "-H", $"X-H{i}: v" }).ToArray();
        Assert.Equal(431, Curl.Get(server.Url("/metrics", "http"), many).Status);
    }

    [Fact]
    public async Task RateLimitAnswers429()
    {
        await using var server = new SecuredTestServer(Config("rate_limit:\n  burst: 2\n  interval: 1h\n"));
        Assert.Equal(200, Curl.Get(server.Url("/metrics", "http")).Status);
        Assert.Equal(200, Curl.Get(server.Url("/metrics", "http")).Status);
        Assert.Equal(429, Curl.Get(server.Url("/metrics", "http")).Status);
    }

    /// <summary>Handshakes with SslStream and returns the serial number the server presented.</summary>
    private static async Task<string> ServedSerialAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        // Any certificate: the test asks which one was served, not whether it is trusted.
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) => certificate is not null);
        await ssl.AuthenticateAsClientAsync("localhost");
        using var cert = new X509Certificate2(ssl.RemoteCertificate!);
        return cert.SerialNumber;
    }
}
