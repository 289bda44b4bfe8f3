using System.Net.Security;
using System.Security.Authentication;
using ConnExporter.Web.Security;

namespace ConnExporter.Tests.Web.Security;

/// <summary>exporter-toolkit's schema: what it accepts, what it refuses, with one-line errors.</summary>
public sealed class WebConfigTests
{
    private const string Path = "/etc/conn-exporter/web.yml";

    [Fact]
    public void EmptyFileIsNoTlsNoAuth()
    {
        foreach (var text in new[] { "", "---\n", "# nothing\n", "~\n" })
        {
            var config = WebConfig.Parse(text, Path);
            Assert.False(config.Tls.IsEnabled);
            Assert.Empty(config.BasicAuthUsers);
            Assert.True(config.Http.Http2);
            Assert.False(config.RateLimit.IsEnabled);
        }
    }

    [Fact]
    public void FullSchemaParses()
    {
        var config = WebConfig.Parse($"""
            tls_server_config:
              cert_file: server.crt
              key_file: /abs/server.key
              client_auth_type: "RequireAndVerifyClientCert"
              client_ca_file: ca.pem
              client_allowed_sans: [scraper.example, "10.0.0.1"]
              min_version: TLS13
              max_version: TLS13
              cipher_suites:
                - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
                - TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
              curve_preferences: [X25519, CurveP256]
              prefer_server_cipher_suites: false
            http_server_config:
              http2: false
              headers:
                X-Frame-Options: deny
                X-Content-Type-Options: nosniff
                Strict-Transport-Security: max-age=31536000
            rate_limit:
              burst: 10
              interval: 1m30s
            basic_auth_users:
              alice: {BcryptTests.S3cret2b}
              "bob": '{BcryptTests.Hunter2a}'
            """, Path);

        var tls = config.Tls;
        Assert.Equal("/etc/conn-exporter/server.crt", tls.CertFile);
        Assert.Equal("/abs/server.key", tls.KeyFile);
        Assert.Equal("/etc/conn-exporter/ca.pem", tls.ClientCaFile);
        Assert.Equal(ClientAuthType.RequireAndVerifyClientCert, tls.ClientAuth);
        Assert.Equal(["scraper.example", "10.0.0.1"], tls.ClientAllowedSans!);
        Assert.Equal(SslProtocols.Tls13, tls.Protocols);
        Assert.Equal([TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256], tls.CipherSuites);
        Assert.Equal(["X25519", "CurveP256"], tls.CurvePreferences);
        Assert.False(tls.PreferServerCipherSuites);
        Assert.False(config.Http.Http2);
        Assert.Equal("deny", config.Http.Headers["X-Frame-Options"]);
        Assert.Equal(3, config.Http.Headers.Count);
        Assert.Equal(new RateLimitConfig(10, TimeSpan.FromSeconds(90)), config.RateLimit);
        Assert.Equal(BcryptTests.S3cret2b, config.BasicAuthUsers["alice"]);
        Assert.Equal(BcryptTests.Hunter2a, config.BasicAuthUsers["bob"]);
    }

    [Theory]
    [InlineData("TLS10", "TLS13", 0xC0 | 0x300 | 0xC00 | 0x3000)]
    [InlineData("TLS12", "TLS12", 0xC00)]
    [InlineData(null, null, 0xC00 | 0x3000)]
    public void VersionRange(string? min, string? max, int expected)
    {
        var text = "tls_server_config:\n  cert_file: a\n  key_file: b\n"
            + (min is null ? "" : $"  min_version: {min}\n") + (max is null ? "" : $"  max_version: {max}\n");
        var protocols = WebConfig.Parse(text, Path).Tls.Protocols;
        // SslProtocols.Tls = 0xC0, Tls11 = 0x300, Tls12 = 0xC00, Tls13 = 0x3000.
        Assert.Equal((SslProtocols)expected, protocols);
    }

    [Fact]
    public void LegacyRequireClientCertAliasAndYamlBooleans()
    {
        var config = WebConfig.Parse("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireClientCert\nhttp_server_config:\n  http2: no\n", Path);
        Assert.Equal(ClientAuthType.RequireAnyClientCert, config.Tls.ClientAuth);
        Assert.False(config.Http.Http2);
    }

    [Theory]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  foo: 1\n", "line 4: field foo not found in tls_server_config")]
    [InlineData("tls_config:\n  cert_file: a\n", "line 1: field tls_config not found in the document")]
    [InlineData("tls_server_config:\n  cert_file: a\n  cert_file: b\n  key_file: c\n", "line 3: Duplicate key")]
    [InlineData("tls_server_config:\n  cert_file: a\n", "missing one of key or key_file")]
    [InlineData("tls_server_config:\n  key_file: a\n", "missing one of cert or cert_file")]
    [InlineData("tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n", "missing one of cert or cert_file")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Sometimes\n", "line 4: invalid client_auth_type: Sometimes")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca\n", "client CA's have been configured without a Client Auth Policy")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [x]\n", "client_allowed_sans requires client_auth_type")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n", "line 4: unknown TLS version: TLS14")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n", "min_version TLS13 is above max_version TLS12")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n", "unknown cipher: TLS_RSA_WITH_RC4_128_SHA")]
    [InlineData("tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [CurveP999]\n", "unknown curve: CurveP999")]
    [InlineData("tls_server_config:\n  cert_file: [a]\n  key_file: b\n", "tls_server_config.cert_file: expected a single value")]
    [InlineData("tls_server_config: yes\n", "tls_server_config: expected a mapping")]
    [InlineData("http_server_config:\n  http2: maybe\n", "cannot unmarshal maybe into a bool")]
    [InlineData("http_server_config:\n  headers:\n    Server: x\n", "HTTP header \"Server\" can not be configured")]
    [InlineData("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "invalid value for X-Frame-Options")]
    [InlineData("http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nSet-Cookie: x\"\n", "control character")]
    [InlineData("rate_limit:\n  burst: lots\n", "rate_limit.burst")]
    [InlineData("rate_limit:\n  interval: 5 parsecs\n", "invalid duration")]
    [InlineData("auth_throttle:\n  failures: 5\n  tries: 3\n", "line 3: field tries not found in auth_throttle")]
    [InlineData("auth_throttle:\n  failures: few\n", "line 2: auth_throttle.failures: cannot unmarshal few into an integer")]
    [InlineData("auth_throttle:\n  failures: -1\n", "line 2: auth_throttle.failures: -1 is below 0")]
    [InlineData("auth_throttle:\n  window: soon\n", "line 2: auth_throttle.window: time: invalid duration \"soon\"")]
    [InlineData("auth_throttle:\n  window: -1m\n", "line 2: auth_throttle.window: -1m is negative")]
    [InlineData("auth_throttle:\n  window: 0s\n", "line 2: auth_throttle.window must be positive while auth_throttle.failures is not 0")]
    [InlineData("auth_throttle:\n  window: 1h\n", "line 2: auth_throttle.max_block is shorter than auth_throttle.window")]
    [InlineData("auth_throttle:\n  max_addresses: 0\n", "line 2: auth_throttle.max_addresses: 0 is not between 1 and 1000000")]
    [InlineData("auth_throttle:\n  bcrypt_concurrency: 0\n", "line 2: auth_throttle.bcrypt_concurrency: 0 is below 1")]
    [InlineData("auth_throttle: on\n", "line 1: auth_throttle: expected a mapping")]
    [InlineData("auth_throttle:\n  blocked_delay: -1s\n", "line 2: auth_throttle.blocked_delay: -1s is negative")]
    [InlineData("auth_throttle:\n  blocked_delay: 11s\n", "line 2: auth_throttle.blocked_delay is longer than 10s: clients would time out instead of reading the 429")]
    [InlineData("basic_auth_users:\n  alice: s3cret\n", "basic_auth_users.alice: not a bcrypt hash")]
    [InlineData("basic_auth_users: [alice]\n", "basic_auth_users: expected a mapping")]
    [InlineData("tls_server_config: [a\n", "line 2")]
    [InlineData("\"unterminated\n", "line ")]
    [InlineData("- a\n- b\n", "the document: expected a mapping")]
    public void BadConfigsFailWithOneLineNamingFileAndProblem(string yaml, string problem)
    {
        var e = Assert.Throws<WebConfigException>(() => WebConfig.Parse(yaml, Path));
        Assert.StartsWith($"web config {Path}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AuthThrottleIsOnByDefaultAndConfigurable()
    {
        var defaults = WebConfig.Parse("basic_auth_users:\n  alice: " + BcryptTests.S3cret2b + "\n", Path).AuthThrottle;
        Assert.Equal(AuthThrottleConfig.Default, defaults);
        Assert.True(defaults.IsEnabled);
        Assert.Equal((5, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(15), 4096), (defaults.Failures, defaults.Window, defaults.MaxBlock, defaults.MaxAddresses));
        Assert.Equal(Math.Max(1, Environment.ProcessorCount / 2), defaults.BcryptConcurrency);

        Assert.Equal(TimeSpan.FromSeconds(1), defaults.BlockedDelay);

        var config = WebConfig.Parse("auth_throttle:\n  failures: 3\n  window: 30s\n  max_block: 1h\n  max_addresses: 100\n  bcrypt_concurrency: 1\n  blocked_delay: 250ms\n", Path).AuthThrottle;
        Assert.Equal(new AuthThrottleConfig(3, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1), 100, 1, TimeSpan.FromMilliseconds(250)), config);
        Assert.Equal(TimeSpan.Zero, WebConfig.Parse("auth_throttle:\n  blocked_delay: 0s\n", Path).AuthThrottle.BlockedDelay);

        // Off: failures 0 (the window is then not checked); more bcrypt slots than cores are clamped.
        var off = WebConfig.Parse("auth_throttle:\n  failures: 0\n  window: 0s\n  bcrypt_concurrency: 4096\n", Path).AuthThrottle;
        Assert.False(off.IsEnabled);
        Assert.Equal(Environment.ProcessorCount, off.BcryptConcurrency);
        Assert.Equal(AuthThrottleConfig.Default, WebConfig.Parse("auth_throttle:\n", Path).AuthThrottle);
    }

    [Fact]
    public void MissingAndUnreadableFiles()
    {
        var e = Assert.Throws<WebConfigException>(() => WebConfig.Load("/nonexistent/web.yml"));
        Assert.Equal("web config /nonexistent/web.yml: no such file", e.Message);
        using var pki = new TestPki();
        var config = pki.Write("web.yml", "tls_server_config:\n  cert_file: nope.pem\n  key_file: server.key\n");
        e = Assert.Throws<WebConfigException>(() => WebConfigState.Load(config));
        Assert.Contains($"failed to read cert_file ({pki.Path("nope.pem")}): no such file", e.Message, StringComparison.Ordinal);
        pki.Write("web.yml", "tls_server_config:\n  cert_file: server.pem\n  key_file: client.key\n");
        e = Assert.Throws<WebConfigException>(() => WebConfigState.Load(config));
        Assert.Contains("private key does not match", e.Message, StringComparison.Ordinal);
        pki.Write("web.yml", "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: server.key\n");
        e = Assert.Throws<WebConfigException>(() => WebConfigState.Load(config));
        Assert.Contains("client_ca_file", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1s", 1_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("250ms", 250)]
    [InlineData("0", 0)]
    [InlineData("1000000000", 1_000)]
    public void GoDurations(string text, long milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(milliseconds, (long)duration.TotalMilliseconds);
    }
}
