using System.Buffers;
using System.Text.Json;
using ConnExporter.Inventory;

namespace ConnExporter.Cli;

/// <summary>
/// Writes connections as a JSON array of objects (the <c>--output json</c> contract, also what
/// an HTTP endpoint can serve), streamed: the writer's buffer is handed on whenever it fills, so
/// the output never exists whole in memory, and nothing per connection is allocated but what
/// the snapshot already holds.
/// </summary>
public static class ConnectionsJsonWriter
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true, SkipValidation = true };
    private static readonly JsonWriterOptions Compact = new() { SkipValidation = true };

    /// <summary>Writes the array of the connections <paramref name="filter"/> selects (every one
    /// when null) to <paramref name="output"/>, then a newline, and flushes.</summary>
    /// <param name="indented">Every member on its own line; otherwise one object per line, what
    /// the connections command prints (a third of the bytes, and still one grep-able line per socket).</param>
    public static void Write(Stream output, IReadOnlyList<Connection> connections, ConnectionFilter? filter = null, bool indented = false)
    {
        var buffer = new BufferedUtf8Output(output);
        Write(buffer, connections, filter, indented);
        buffer.WriteByte((byte)'\n');
        buffer.Flush();
    }

    /// <summary>Writes the array into <paramref name="output"/>; the caller flushes that. The
    /// compact form of many connections is formatted on two threads (<see cref="RowBlocks"/>):
    /// the same bytes as one thread writes.</summary>
    public static void Write(BufferedUtf8Output output, IReadOnlyList<Connection> connections, ConnectionFilter? filter = null, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(connections);
        if (indented || connections.Count < RowBlocks.MinimumRows)
        {
            Write((IBufferWriter<byte>)output, connections, filter, indented);
            return;
        }
        // Each line but the first begins with the comma that ends the one before: which one is
        // first is settled before the blocks are cut.
        int first = 0;
        while (first < connections.Count && filter is not null && !filter.Matches(connections[first])) first++;
        Put(output, "["u8);
        RowBlocks.Write(output, connections.Count, BlockRows, (into, start, end) => WriteLines(into, connections, filter, first, start, end));
        Put(output, first == connections.Count ? "]"u8 : "\n]"u8);
    }

    /// <summary>Lines per block on the second thread: about <see cref="RowBlocks.BlockBytes"/> of
    /// JSON (a line with tcp_info is ~520 bytes).</summary>
    private const int BlockRows = 120;

    private static void WriteLines(BufferedUtf8Output into, IReadOnlyList<Connection> connections, ConnectionFilter? filter,
        int first, int start, int end)
    {
        using var line = new Utf8JsonWriter(into, Compact);
        for (int i = Math.Max(start, first); i < end; i++)
        {
            var c = connections[i];
            if (filter is not null && !filter.Matches(c)) continue;
            Put(into, i == first ? "\n"u8 : ",\n"u8);
            WriteObject(line, c);
            line.Flush();
            line.Reset();
        }
    }

    /// <summary>Writes the array into <paramref name="output"/> (an <see cref="ArrayBufferWriter{T}"/>,
    /// a pipe…); the caller flushes that.</summary>
    public static void Write(IBufferWriter<byte> output, IReadOnlyList<Connection> connections, ConnectionFilter? filter = null, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(connections);
        if (indented)
        {
            using var json = new Utf8JsonWriter(output, Indented);
            json.WriteStartArray();
            for (int i = 0; i < connections.Count; i++)
            {
                var c = connections[i];
                if (filter is null || filter.Matches(c)) WriteObject(json, c);
            }
            json.WriteEndArray();
            json.Flush();
            return;
        }
        // One object per line: each written as a top-level value, the brackets and separators
        // between them by hand.
        using var line = new Utf8JsonWriter(output, Compact);
        Put(output, "["u8);
        bool first = true;
        for (int i = 0; i < connections.Count; i++)
        {
            var c = connections[i];
            if (filter is not null && !filter.Matches(c)) continue;
            Put(output, first ? "\n"u8 : ",\n"u8);
            first = false;
            WriteObject(line, c);
            line.Flush();
            line.Reset();
        }
        Put(output, first ? "]"u8 : "\n]"u8);
    }

    private static void Put(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    /// <summary>Writes the array to a stream that must not be written synchronously (an HTTP
    /// response body), flushing about every 16 KiB; no trailing newline.</summary>
    public static async Task WriteAsync(Stream output, IReadOnlyList<Connection> connections, ConnectionFilter? filter = null,
        bool indented = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connections);
        await using var json = new Utf8JsonWriter(output, indented ? Indented : Compact);
        json.WriteStartArray();
        for (int i = 0; i < connections.Count; i++)
        {
            var c = connections[i];
            if (filter is not null && !filter.Matches(c)) continue;
            WriteObject(json, c);
            if (json.BytesPending >= 16 * 1024) await json.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        json.WriteEndArray();
        await json.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static readonly JsonEncodedText Protocol = JsonEncodedText.Encode("protocol");
    private static readonly JsonEncodedText Family = JsonEncodedText.Encode("family");
    private static readonly JsonEncodedText State = JsonEncodedText.Encode("state");
    private static readonly JsonEncodedText LocalAddress = JsonEncodedText.Encode("local_address");
    private static readonly JsonEncodedText LocalPort = JsonEncodedText.Encode("local_port");
    private static readonly JsonEncodedText RemoteAddress = JsonEncodedText.Encode("remote_address");
    private static readonly JsonEncodedText RemotePort = JsonEncodedText.Encode("remote_port");
    private static readonly JsonEncodedText ActualRemoteAddress = JsonEncodedText.Encode("actual_remote_address");
    private static readonly JsonEncodedText ActualRemotePort = JsonEncodedText.Encode("actual_remote_port");
    private static readonly JsonEncodedText Interface = JsonEncodedText.Encode("interface");
    private static readonly JsonEncodedText DirectionName = JsonEncodedText.Encode("direction");
    private static readonly JsonEncodedText Inode = JsonEncodedText.Encode("inode");
    private static readonly JsonEncodedText Uid = JsonEncodedText.Encode("uid");
    private static readonly JsonEncodedText Cookie = JsonEncodedText.Encode("cookie");
    private static readonly JsonEncodedText RecvQ = JsonEncodedText.Encode("recv_q");
    private static readonly JsonEncodedText SendQ = JsonEncodedText.Encode("send_q");
    private static readonly JsonEncodedText Processes = JsonEncodedText.Encode("processes");
    private static readonly JsonEncodedText Pid = JsonEncodedText.Encode("pid");
    private static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText Exe = JsonEncodedText.Encode("exe");
    private static readonly JsonEncodedText UnitName = JsonEncodedText.Encode("unit");
    private static readonly JsonEncodedText Netns = JsonEncodedText.Encode("netns");
    private static readonly JsonEncodedText ContainerId = JsonEncodedText.Encode("container");
    private static readonly JsonEncodedText ContainerName = JsonEncodedText.Encode("container_name");
    private static readonly JsonEncodedText Pod = JsonEncodedText.Encode("pod");
    private static readonly JsonEncodedText PodNamespace = JsonEncodedText.Encode("pod_namespace");
    private static readonly JsonEncodedText TcpInfo = JsonEncodedText.Encode("tcp_info");
    private static readonly JsonEncodedText RttUs = JsonEncodedText.Encode("rtt_us");
    private static readonly JsonEncodedText RttVarUs = JsonEncodedText.Encode("rttvar_us");
    private static readonly JsonEncodedText Retransmits = JsonEncodedText.Encode("retransmits");
    private static readonly JsonEncodedText BytesAcked = JsonEncodedText.Encode("bytes_acked");
    private static readonly JsonEncodedText BytesReceived = JsonEncodedText.Encode("bytes_received");
    private static readonly JsonEncodedText BytesInFlight = JsonEncodedText.Encode("bytes_in_flight");
    private static readonly JsonEncodedText[] States = BuildStates();
    private static readonly JsonEncodedText Unconn = JsonEncodedText.Encode("UNCONN");
    private static readonly JsonEncodedText Tcp = JsonEncodedText.Encode("tcp");
    private static readonly JsonEncodedText Udp = JsonEncodedText.Encode("udp");
    private static readonly JsonEncodedText IPv4 = JsonEncodedText.Encode("ipv4");
    private static readonly JsonEncodedText IPv6 = JsonEncodedText.Encode("ipv6");
    private static readonly JsonEncodedText[] Directions = BuildDirections();

    private static JsonEncodedText[] BuildStates()
    {
        var names = new JsonEncodedText[256];
        for (int i = 0; i < names.Length; i++) names[i] = JsonEncodedText.Encode(SocketStates.Name(SocketProtocol.Tcp, (SocketState)i));
        return names;
    }

    private static JsonEncodedText[] BuildDirections()
    {
        var names = new JsonEncodedText[256];
        for (int i = 0; i < names.Length; i++) names[i] = JsonEncodedText.Encode(Inventory.Directions.Name((Direction)i));
        return names;
    }

    /// <summary>Writes one connection's object: the unit of every listing that speaks this contract.</summary>
    public static void WriteObject(Utf8JsonWriter json, in Connection c)
    {
        ArgumentNullException.ThrowIfNull(json);
        Span<byte> address = stackalloc byte[InetAddressText.MaxLength];
        var s = c.Socket;
        json.WriteStartObject();
        json.WriteString(Protocol, s.Protocol == SocketProtocol.Tcp ? Tcp : Udp);
        json.WriteString(Family, s.Family == IpFamily.IPv4 ? IPv4 : IPv6);
        json.WriteString(State, s.Protocol == SocketProtocol.Udp && s.State == SocketState.Close ? Unconn : States[(byte)s.State]);
        json.WriteString(LocalAddress, address[..InetAddressText.Format(s.Local.Address.Normalize(), address)]);
        json.WriteNumber(LocalPort, s.Local.Port);
        json.WriteString(RemoteAddress, address[..InetAddressText.Format(s.Remote.Address.Normalize(), address)]);
        json.WriteNumber(RemotePort, s.Remote.Port);
        // Always present, null when not translated (or conntrack not read): a consumer tells
        // "no NAT" from an older exporter by the member's presence.
        if (c.ActualRemote is { } real)
        {
            json.WriteString(ActualRemoteAddress, address[..InetAddressText.Format(real.Address.Normalize(), address)]);
            json.WriteNumber(ActualRemotePort, real.Port);
        }
        else
        {
            json.WriteNull(ActualRemoteAddress);
            json.WriteNull(ActualRemotePort);
        }
        json.WriteString(Interface, c.Interface);
        json.WriteString(DirectionName, Directions[(byte)c.Direction]);
        json.WriteNumber(Inode, s.Inode);
        json.WriteNumber(Uid, s.Uid);
        if (s.Cookie != 0) json.WriteNumber(Cookie, s.Cookie);
        json.WriteNumber(RecvQ, s.ReceiveQueue);
        json.WriteNumber(SendQ, s.SendQueue);
        json.WriteStartArray(Processes);
        var owners = c.Owners;
        for (int i = 0; i < owners.Count; i++)
        {
            var p = owners[i];
            json.WriteStartObject();
            json.WriteNumber(Pid, p.Pid);
            json.WriteString(Name, p.Name);
            if (p.Executable is not null) json.WriteString(Exe, p.Executable);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        WriteNullable(json, UnitName, Unit(c));
        json.WriteNumber(Netns, c.Netns.Inode);
        WriteNullable(json, ContainerId, Container(c));
        WriteNullable(json, ContainerName, c.Container?.Name);
        WriteNullable(json, Pod, c.Container?.Pod);
        WriteNullable(json, PodNamespace, c.Container?.PodNamespace);
        if (c.Tcp is { } t)
        {
            json.WriteStartObject(TcpInfo);
            json.WriteNumber(RttUs, t.RttMicros);
            json.WriteNumber(RttVarUs, t.RttVarMicros);
            json.WriteNumber(Retransmits, t.Retransmits);
            json.WriteNumber(BytesAcked, t.BytesAcked);
            json.WriteNumber(BytesReceived, t.BytesReceived);
            json.WriteNumber(BytesInFlight, t.BytesInFlight);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, JsonEncodedText name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    /// <summary>The first owner's unit; owners of one socket almost always share it.</summary>
    internal static string? Unit(in Connection c) => c.Owners.Count > 0 ? c.Owners[0].Unit : null;

    /// <summary>The full container id: the socket's container, else the first owner's cgroup's.</summary>
    internal static string? Container(in Connection c) => c.Container?.Id ?? (c.Owners.Count > 0 ? c.Owners[0].Container : null);
}
