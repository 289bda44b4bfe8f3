using System.Globalization;
using System.Net.Security;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ConnExporter.Web.Security;

/// <summary>
/// exporter-toolkit's web config from YAML, through YamlDotNet's representation model (no
/// reflection). Strict like its <c>yaml.UnmarshalStrict</c>: unknown and duplicate keys are
/// errors; scalars convert as yaml.v2 converts them (any scalar into a string, YAML 1.1
/// booleans). Then the same cross-field rules as its <c>ConfigToTLSConfig</c>.
/// </summary>
internal static class WebConfigParser
{
    private static readonly string[] TopKeys = ["tls_server_config", "http_server_config", "rate_limit", "basic_auth_users", "auth_throttle"];
    private static readonly string[] TlsKeys =
    [
        "cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type", "client_ca_file",
        "cipher_suites", "curve_preferences", "min_version", "max_version",
        "prefer_server_cipher_suites", "client_allowed_sans",
    ];
    private static readonly string[] HttpKeys = ["http2", "headers"];
    private static readonly string[] RateKeys = ["burst", "interval"];
    private static readonly string[] ThrottleKeys = ["failures", "window", "max_block", "max_addresses", "bcrypt_concurrency", "blocked_delay"];

    public static WebConfig Parse(string yaml, string path)
    {
        YamlNode? root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
        }
        catch (YamlException e)
        {
            throw new WebConfigProblem($"line {e.Start.Line}: {YamlMessage(e)}", e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            // Found by fuzzing: the representation model throws these for some broken documents
            // (an alias to an anchor that is never defined throws InvalidOperationException).
            throw new WebConfigProblem($"not a valid YAML document ({e.GetType().Name})", e);
        }

        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        var config = new WebConfig { Path = path };
        var top = Mapping(root, "the document");
        if (top is null) return config;
        CheckKeys(top, TopKeys, "the document");

        if (Child(top, "tls_server_config") is { } tlsNode)
            config = config with { Tls = ParseTls(tlsNode, directory) };
        if (Child(top, "http_server_config") is { } httpNode)
            config = config with { Http = ParseHttp(httpNode) };
        if (Child(top, "rate_limit") is { } rateNode)
            config = config with { RateLimit = ParseRateLimit(rateNode) };
        if (Child(top, "auth_throttle") is { } throttleNode)
            config = config with { AuthThrottle = ParseAuthThrottle(throttleNode) };
        if (Child(top, "basic_auth_users") is { } usersNode)
            config = config with { BasicAuthUsers = ParseUsers(usersNode) };
        return config;
    }

    private static TlsServerConfig ParseTls(YamlNode node, string directory)
    {
        var tls = new TlsServerConfig();
        var map = Mapping(node, "tls_server_config");
        if (map is null) return tls;
        CheckKeys(map, TlsKeys, "tls_server_config");

        string Str(string key) => Child(map, key) is { } n ? Scalar(n, $"tls_server_config.{key}") : "";
        string PathOf(string key) => Str(key) is { Length: > 0 } p ? Path.Combine(directory, p) : "";

        tls = tls with
        {
            Cert = Str("cert"),
            Key = Str("key"),
            ClientCa = Str("client_ca"),
            CertFile = PathOf("cert_file"),
            KeyFile = PathOf("key_file"),
            ClientCaFile = PathOf("client_ca_file"),
        };

        if (Child(map, "client_auth_type") is { } authNode)
        {
            var name = Scalar(authNode, "tls_server_config.client_auth_type");
            ClientAuthType auth = name switch
            {
                "" or "NoClientCert" => ClientAuthType.NoClientCert,
                "RequestClientCert" => ClientAuthType.RequestClientCert,
                "RequireAnyClientCert" or "RequireClientCert" => ClientAuthType.RequireAnyClientCert,
                "VerifyClientCertIfGiven" => ClientAuthType.VerifyClientCertIfGiven,
                "RequireAndVerifyClientCert" => ClientAuthType.RequireAndVerifyClientCert,
                _ => throw At(authNode, $"invalid client_auth_type: {name}"),
            };
            tls = tls with { ClientAuth = auth, ClientAuthGiven = name.Length > 0 };
        }

        if (Child(map, "cipher_suites") is { } suitesNode)
        {
            var suites = new List<TlsCipherSuite>();
            foreach (var item in Sequence(suitesNode, "tls_server_config.cipher_suites"))
            {
                var name = Scalar(item, "tls_server_config.cipher_suites");
                if (!GoTlsNames.CipherSuites.TryGetValue(name, out var suite)) throw At(item, $"unknown cipher: {name}");
                suites.Add(suite);
            }
            tls = tls with { CipherSuites = suites };
        }

        if (Child(map, "curve_preferences") is { } curvesNode)
        {
            var curves = new List<string>();
            foreach (var item in Sequence(curvesNode, "tls_server_config.curve_preferences"))
            {
                var name = Scalar(item, "tls_server_config.curve_preferences");
                if (!GoTlsNames.Curves.Contains(name)) throw At(item, $"unknown curve: {name}");
                curves.Add(name);
            }
            tls = tls with { CurvePreferences = curves };
        }

        int min = Version(map, "min_version", GoTlsNames.VersionIndex("TLS12"));
        int max = Version(map, "max_version", GoTlsNames.VersionIndex("TLS13"));
        if (min > max)
            throw At(map, $"min_version {GoTlsNames.Versions[min].Name} is above max_version {GoTlsNames.Versions[max].Name}");
        tls = tls with
        {
            MinVersion = GoTlsNames.Versions[min].Name,
            MaxVersion = GoTlsNames.Versions[max].Name,
            Protocols = GoTlsNames.Range(min, max),
        };

        if (Child(map, "prefer_server_cipher_suites") is { } preferNode)
            tls = tls with { PreferServerCipherSuites = Bool(preferNode, "tls_server_config.prefer_server_cipher_suites") };

        if (Child(map, "client_allowed_sans") is { } sansNode)
        {
            // yaml.v2 leaves a slice nil for "client_allowed_sans:" with no value.
            if (!IsNull(sansNode))
                tls = tls with { ClientAllowedSans = Sequence(sansNode, "tls_server_config.client_allowed_sans").Select(n => Scalar(n, "tls_server_config.client_allowed_sans")).ToList() };
        }

        // The cross-field rules of exporter-toolkit's ConfigToTLSConfig.
        if (tls.IsEnabled)
        {
            if (tls.CertFile.Length == 0 && tls.Cert.Length == 0)
                throw At(map, "tls_server_config: missing one of cert or cert_file");
            if (tls.KeyFile.Length == 0 && tls.Key.Length == 0)
                throw At(map, "tls_server_config: missing one of key or key_file");
        }
        if ((tls.ClientCaFile.Length > 0 || tls.ClientCa.Length > 0) && tls.ClientAuth == ClientAuthType.NoClientCert)
            throw At(map, "client CA's have been configured without a Client Auth Policy");
        if (tls.ClientAllowedSans is not null
            && tls.ClientAuth is not (ClientAuthType.RequireAnyClientCert or ClientAuthType.RequireAndVerifyClientCert))
        {
            throw At(map, "client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert");
        }
        return tls;
    }

    private static int Version(YamlMappingNode map, string key, int fallback)
    {
        if (Child(map, key) is not { } node) return fallback;
        var name = Scalar(node, $"tls_server_config.{key}");
        int index = GoTlsNames.VersionIndex(name);
        return index >= 0 ? index : throw At(node, $"unknown TLS version: {name}");
    }

    private static HttpServerConfig ParseHttp(YamlNode node)
    {
        var http = new HttpServerConfig();
        var map = Mapping(node, "http_server_config");
        if (map is null) return http;
        CheckKeys(map, HttpKeys, "http_server_config");
        if (Child(map, "http2") is { } http2) http = http with { Http2 = Bool(http2, "http_server_config.http2") };
        if (Child(map, "headers") is { } headersNode && Mapping(headersNode, "http_server_config.headers") is { } headers)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (keyNode, valueNode) in headers.Children)
            {
                var name = Scalar(keyNode, "http_server_config.headers");
                var value = Scalar(valueNode, $"http_server_config.headers.{name}");
                if (!HttpServerConfig.AllowedHeaders.TryGetValue(name, out var allowed))
                    throw At(keyNode, $"HTTP header \"{name}\" can not be configured");
                if (allowed is not null && !allowed.Contains(value, StringComparer.Ordinal))
                    throw At(valueNode, $"invalid value for {name}. Expected one of: [\"{string.Join("\" \"", allowed)}\"], but got: \"{value}\"");
                // A header value with a line break would split the response: never allowed.
                if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
                    throw At(valueNode, $"HTTP header \"{name}\" has a control character in its value");
                result[name] = value;
            }
            http = http with { Headers = result };
        }
        return http;
    }

    private static RateLimitConfig ParseRateLimit(YamlNode node)
    {
        var map = Mapping(node, "rate_limit");
        if (map is null) return new RateLimitConfig(0, TimeSpan.Zero);
        CheckKeys(map, RateKeys, "rate_limit");
        // As exporter-toolkit reads them: any integer, any duration, an empty one is none (an
        // interval of 0 or less turns the limit off: RateLimitConfig.IsEnabled).
        return new RateLimitConfig(
            Integer(map, "rate_limit", "burst", 0, int.MinValue, int.MaxValue),
            Duration(map, "rate_limit", "interval", TimeSpan.Zero, emptyIsZero: true, negativeAllowed: true));
    }

    private static AuthThrottleConfig ParseAuthThrottle(YamlNode node)
    {
        var config = AuthThrottleConfig.Default;
        var map = Mapping(node, "auth_throttle");
        if (map is null) return config;
        CheckKeys(map, ThrottleKeys, "auth_throttle");
        config = config with
        {
            Failures = Integer(map, "auth_throttle", "failures", config.Failures, 0, int.MaxValue),
            MaxAddresses = Integer(map, "auth_throttle", "max_addresses", config.MaxAddresses, 1, AuthThrottleConfig.MaxMaxAddresses),
            // More than the cores would let guessing take them all: clamped, not refused, so one
            // file serves machines of every size.
            BcryptConcurrency = Math.Min(Environment.ProcessorCount, Integer(map, "auth_throttle", "bcrypt_concurrency", config.BcryptConcurrency, 1, int.MaxValue)),
            Window = Duration(map, "auth_throttle", "window", config.Window),
            MaxBlock = Duration(map, "auth_throttle", "max_block", config.MaxBlock),
            BlockedDelay = Duration(map, "auth_throttle", "blocked_delay", config.BlockedDelay),
        };
        if (config.BlockedDelay > AuthThrottleConfig.MaxBlockedDelay)
            throw At(map, "auth_throttle.blocked_delay is longer than 10s: clients would time out instead of reading the 429");
        if (config.IsEnabled && config.Window <= TimeSpan.Zero)
            throw At(map, "auth_throttle.window must be positive while auth_throttle.failures is not 0");
        if (config.IsEnabled && config.MaxBlock < config.Window)
            throw At(map, "auth_throttle.max_block is shorter than auth_throttle.window");
        return config;
    }

    /// <summary><paramref name="section"/>.<paramref name="key"/> as an integer in [min, max]; fallback when absent.</summary>
    private static int Integer(YamlMappingNode map, string section, string key, int fallback, int min, int max)
    {
        if (Child(map, key) is not { } node) return fallback;
        var text = Scalar(node, $"{section}.{key}");
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            throw At(node, $"{section}.{key}: cannot unmarshal {text} into an integer");
        if (value < min || value > max)
            throw At(node, max == int.MaxValue ? $"{section}.{key}: {value} is below {min}" : $"{section}.{key}: {value} is not between {min} and {max}");
        return value;
    }

    /// <summary><paramref name="section"/>.<paramref name="key"/> as a Go duration ("1m30s"); fallback when absent.</summary>
    private static TimeSpan Duration(YamlMappingNode map, string section, string key, TimeSpan fallback,
        bool emptyIsZero = false, bool negativeAllowed = false)
    {
        if (Child(map, key) is not { } node) return fallback;
        var text = Scalar(node, $"{section}.{key}");
        if (emptyIsZero && text.Length == 0) return TimeSpan.Zero;
        if (!GoDuration.TryParse(text, out var value))
            throw At(node, $"{section}.{key}: time: invalid duration \"{text}\"");
        if (value < TimeSpan.Zero && !negativeAllowed) throw At(node, $"{section}.{key}: {text} is negative");
        return value;
    }

    private static Dictionary<string, string> ParseUsers(YamlNode node)
    {
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Mapping(node, "basic_auth_users") is not { } map) return users;
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var user = Scalar(keyNode, "basic_auth_users");
            var hash = Scalar(valueNode, $"basic_auth_users.{user}");
            // exporter-toolkit runs bcrypt.Cost on each hash at start: a non-bcrypt value is an error.
            if (!Bcrypt.IsHash(hash))
                throw At(valueNode, $"basic_auth_users.{user}: not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31)");
            users[user] = hash;
        }
        return users;
    }

    // ---- YAML helpers: yaml.v2's conversions, with line numbers in every error.

    private static void CheckKeys(YamlMappingNode map, string[] known, string where)
    {
        foreach (var key in map.Children.Keys)
        {
            var name = Scalar(key, where);
            if (!known.Contains(name, StringComparer.Ordinal))
                throw At(key, $"field {name} not found in {where}");
        }
    }

    private static YamlNode? Child(YamlMappingNode map, string key)
    {
        foreach (var (k, v) in map.Children)
            if (k is YamlScalarNode { Value: { } name } && name == key) return v;
        return null;
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static YamlMappingNode? Mapping(YamlNode? node, string where) => node switch
    {
        null => null,
        YamlMappingNode map => map,
        _ when IsNull(node) => null,
        _ => throw At(node, $"{where}: expected a mapping"),
    };

    private static IEnumerable<YamlNode> Sequence(YamlNode node, string where) => node switch
    {
        YamlSequenceNode sequence => sequence.Children,
        _ when IsNull(node) => [],
        _ => throw At(node, $"{where}: expected a list"),
    };

    private static string Scalar(YamlNode node, string where) => node switch
    {
        _ when IsNull(node) => "",
        YamlScalarNode scalar => scalar.Value ?? "",
        _ => throw At(node, $"{where}: expected a single value"),
    };

    private static bool Bool(YamlNode node, string where)
    {
        var text = Scalar(node, where);
        return text switch
        {
            "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y" => true,
            "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N" => false,
            _ => throw At(node, $"{where}: cannot unmarshal {text} into a bool"),
        };
    }

    private static WebConfigProblem At(YamlNode node, string message) => new($"line {node.Start.Line}: {message}");

    private static string YamlMessage(YamlException e)
    {
        // YamlDotNet prefixes "(Line: a, Col: b, Idx: c) - (Line: …): "; the line is given already.
        var message = e.Message;
        int dash = message.IndexOf("): ", StringComparison.Ordinal);
        return dash >= 0 && message.StartsWith('(') ? message[(dash + 3)..] : message;
    }
}
