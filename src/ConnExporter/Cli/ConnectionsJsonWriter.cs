using System.Text.Json;
using ConnExporter.Inventory;

namespace ConnExporter.Cli;

/// <summary>Writes connections as a JSON array (the <c>--output json</c> contract).</summary>
public static class ConnectionsJsonWriter
{
    public static void Write(Stream output, IEnumerable<Connection> connections)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartArray();
        foreach (var c in connections)
        {
            var s = c.Socket;
            json.WriteStartObject();
            json.WriteString("protocol", s.Protocol == SocketProtocol.Tcp ? "tcp" : "udp");
            json.WriteString("family", s.Family == IpFamily.IPv4 ? "ipv4" : "ipv6");
            json.WriteString("state", SocketStates.Name(s.Protocol, s.State));
            json.WriteString("local_address", s.Local.Address.Normalize().ToString());
            json.WriteNumber("local_port", s.Local.Port);
            json.WriteString("remote_address", s.Remote.Address.Normalize().ToString());
            json.WriteNumber("remote_port", s.Remote.Port);
            json.WriteString("interface", c.Interface);
            json.WriteString("direction", Directions.Name(c.Direction));
            json.WriteNumber("inode", s.Inode);
            json.WriteNumber("uid", s.Uid);
            if (s.Cookie != 0) json.WriteNumber("cookie", s.Cookie);
            json.WriteNumber("recv_q", s.ReceiveQueue);
            json.WriteNumber("send_q", s.SendQueue);
            json.WriteStartArray("processes");
            foreach (var p in c.Owners)
            {
                json.WriteStartObject();
                json.WriteNumber("pid", p.Pid);
                json.WriteString("name", p.Name);
                if (p.Executable is not null) json.WriteString("exe", p.Executable);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            WriteNullable(json, "unit", Unit(c));
            json.WriteNumber("netns", c.Netns.Inode);
            WriteNullable(json, "container", Container(c));
            WriteNullable(json, "container_name", c.Container?.Name);
            WriteNullable(json, "pod", c.Container?.Pod);
            WriteNullable(json, "pod_namespace", c.Container?.PodNamespace);
            if (c.Tcp is { } t)
            {
                json.WriteStartObject("tcp_info");
                json.WriteNumber("rtt_us", t.RttMicros);
                json.WriteNumber("rttvar_us", t.RttVarMicros);
                json.WriteNumber("retransmits", t.Retransmits);
                json.WriteNumber("bytes_acked", t.BytesAcked);
                json.WriteNumber("bytes_received", t.BytesReceived);
                json.WriteNumber("bytes_in_flight", t.BytesInFlight);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    /// <summary>The first owner's unit; owners of one socket almost always share it.</summary>
    internal static string? Unit(in Connection c) => c.Owners.Count > 0 ? c.Owners[0].Unit : null;

    /// <summary>The full container id: the socket's container, else the first owner's cgroup's.</summary>
    internal static string? Container(in Connection c) => c.Container?.Id ?? (c.Owners.Count > 0 ? c.Owners[0].Container : null);
}
