using System.Globalization;
using System.Net;
using ConnExporter.Cli;

namespace ConnExporter.Web;

/// <summary>
/// A <c>--web.listen-address</c> value in Go's host:port form: <c>:9811</c> (every address,
/// IPv4 and IPv6), <c>127.0.0.1:9811</c>, <c>[::1]:9811</c>, <c>localhost:9811</c>.
/// </summary>
public sealed record ListenAddress(IPAddress? Address, string? Host, int Port)
{
    public const int DefaultPort = 9811;

    public static ListenAddress Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            || port is < 0 or > 65535)
            throw new CommandLineException(
                $"invalid value '{text}' for flag '--web.listen-address': expected [host]:port, e.g. :{DefaultPort} or 127.0.0.1:{DefaultPort}");
        var host = text[..colon];
        if (host.Length == 0) return new ListenAddress(null, null, port);
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IPAddress.TryParse(bare, out var ip)) return new ListenAddress(ip, null, port);
        if (host.Contains(':', StringComparison.Ordinal) || host.Contains('[', StringComparison.Ordinal))
            throw new CommandLineException(
                $"invalid value '{text}' for flag '--web.listen-address': put IPv6 addresses in brackets, e.g. [::1]:{DefaultPort}");
        return new ListenAddress(null, host, port);
    }

    /// <summary>
    /// The addresses to listen on: the flags when given, else <c>:$PORT</c> when the
    /// environment sets PORT (as the original exporters did), else <c>:9811</c>.
    /// </summary>
    public static IReadOnlyList<ListenAddress> Resolve(FlagSet flags, string flagName, string? portVariable)
    {
        if (!flags.IsSet(flagName) && !string.IsNullOrEmpty(portVariable))
        {
            if (!int.TryParse(portVariable, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
                throw new CommandLineException($"invalid PORT environment variable '{portVariable}': expected 1-65535, or set --web.listen-address");
            return [new ListenAddress(null, null, port)];
        }
        return flags.GetAll(flagName).Select(Parse).ToList();
    }

    public override string ToString() =>
        Address is not null ? (Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}")
        : $"{Host}:{Port}";
}
