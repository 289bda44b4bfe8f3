namespace ConnExporter.Systemd;

/// <summary>One listening socket systemd passed us (socket activation), by descriptor and name.</summary>
/// <param name="Fd">The descriptor: 3 (SD_LISTEN_FDS_START) for the first.</param>
/// <param name="Name">Its <c>FileDescriptorName=</c>; empty when systemd gave none.</param>
public sealed record PassedSocket(int Fd, string Name)
{
    public const string MetricsName = "metrics";
    public const string HttpsName = "https";

    public SocketRole Role => Name == HttpsName ? SocketRole.Https : SocketRole.Http;

    public override string ToString() => Name.Length == 0 ? $"fd {Fd}" : $"fd {Fd} ({Name})";
}
