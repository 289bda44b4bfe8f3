using System.Net.Sockets;
using System.Text;

namespace ConnExporter.Systemd;

/// <summary>
/// The service manager's notification socket (<c>$NOTIFY_SOCKET</c>, sd_notify(3)): one
/// datagram per message, newline-separated <c>KEY=VALUE</c> assignments. The path is a file
/// system path or, starting with <c>@</c>, a name in the abstract namespace. Sending never
/// throws: a manager that went away must not take the exporter with it.
/// </summary>
public sealed class NotifySocket : IDisposable
{
    public const string Variable = "NOTIFY_SOCKET";

    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _target;
    private readonly Lock _gate = new();
    private int _failures;

    private NotifySocket(UnixDomainSocketEndPoint target)
    {
        _target = target;
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    /// <summary>What <see cref="Send"/> was given and where, for logs.</summary>
    public string Path { get; private init; } = "";

    /// <summary>Sends that failed (the manager's socket gone or full).</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>The socket named by <c>$NOTIFY_SOCKET</c>, or null when there is none (not under systemd, or not Type=notify).</summary>
    public static NotifySocket? FromEnvironment() => Open(Environment.GetEnvironmentVariable(Variable));

    /// <summary>The socket at <paramref name="path"/> (<c>/run/…</c> or <c>@abstract</c>); null when empty or not an AF_UNIX path.</summary>
    public static NotifySocket? Open(string? path)
    {
        // sd_notify accepts only absolute paths and '@' names (vsock addresses are not for us).
        if (string.IsNullOrEmpty(path) || (path[0] != '/' && path[0] != '@')) return null;
        // The abstract namespace is a leading NUL in sun_path; .NET's endpoint takes it as-is.
        var endPoint = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        return new NotifySocket(endPoint) { Path = path };
    }

    /// <summary>Sends one notification (e.g. <c>READY=1</c>); false when it could not be delivered.</summary>
    public bool Send(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        try
        {
            lock (_gate) _socket.SendTo(bytes, SocketFlags.None, _target);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _failures);
            return false;
        }
    }

    public void Dispose() => _socket.Dispose();
}
