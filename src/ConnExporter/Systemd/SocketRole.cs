namespace ConnExporter.Systemd;

/// <summary>What a socket passed by systemd serves, from its <c>FileDescriptorName=</c>.</summary>
public enum SocketRole
{
    /// <summary>Plain HTTP: named <c>metrics</c>, unnamed, or any other name (systemd defaults it to the unit's name).</summary>
    Http,

    /// <summary>HTTP over TLS: named <c>https</c>; needs TLS configured by <c>--web.config.file</c>.</summary>
    Https,
}
