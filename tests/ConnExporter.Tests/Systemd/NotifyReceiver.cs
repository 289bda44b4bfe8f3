using System.Net.Sockets;
using System.Text;

namespace ConnExporter.Tests.Systemd;

/// <summary>
/// Plays the service manager's side of sd_notify: a datagram socket bound at a unique file
/// system path or abstract name, handing out the messages in arrival order.
/// </summary>
public sealed class NotifyReceiver : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly string? _file;

    public NotifyReceiver(bool abstractName = false)
    {
        var unique = $"conn-exporter-test-{Environment.ProcessId}-{Guid.NewGuid():N}";
        if (abstractName)
        {
            NotifySocketPath = "@" + unique;
            _socket.Bind(new UnixDomainSocketEndPoint("\0" + unique));
        }
        else
        {
            _file = Path.Combine(Path.GetTempPath(), unique[..40] + ".sock");
            NotifySocketPath = _file;
            _socket.Bind(new UnixDomainSocketEndPoint(_file));
        }
    }

    /// <summary>WATCHDOG=1 messages <see cref="NextEvent"/> skipped.</summary>
    public int WatchdogPings { get; private set; }

    /// <summary>The value for <c>$NOTIFY_SOCKET</c>.</summary>
    public string NotifySocketPath { get; }

    /// <summary>The next message, or null when none arrives in time.</summary>
    public string? Next(TimeSpan timeout)
    {
        var buffer = new byte[4096];
        _socket.ReceiveTimeout = Math.Max(1, (int)timeout.TotalMilliseconds);
        try
        {
            int n = _socket.Receive(buffer);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return null;
        }
    }

    /// <summary>Every message arriving within <paramref name="window"/>.</summary>
    public List<string> Drain(TimeSpan window)
    {
        var messages = new List<string>();
        var deadline = DateTime.UtcNow + window;
        while (DateTime.UtcNow < deadline)
        {
            var message = Next(deadline - DateTime.UtcNow);
            if (message is null) break;
            messages.Add(message);
        }
        return messages;
    }

    /// <summary>
    /// The next message that is not periodic (WATCHDOG=1, and STATUS= unless asked for);
    /// fails the test when none arrives within <paramref name="timeout"/>.
    /// </summary>
    public string NextEvent(TimeSpan timeout, bool includeStatus = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var message = Next(deadline - DateTime.UtcNow);
            if (message is null) break;
            if (message == "WATCHDOG=1")
            {
                WatchdogPings++;
                continue;
            }
            if (!includeStatus && message.StartsWith("STATUS=", StringComparison.Ordinal)) continue;
            return message;
        }
        throw new TimeoutException($"no notification within {timeout.TotalSeconds}s");
    }

    public void Dispose()
    {
        _socket.Dispose();
        if (_file is not null) File.Delete(_file);
    }
}
