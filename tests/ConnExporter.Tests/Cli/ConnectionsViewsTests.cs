using System.Text;
using System.Text.Json;
using ConnExporter.Cli;
using ConnExporter.Inventory;

namespace ConnExporter.Tests.Cli;

/// <summary>The table, the filters, --summary and --group-by on snapshots built by hand (the
/// real-kernel counterparts are in Integration/ConnectionsCommandTests).</summary>
public class ConnectionsViewsTests
{
    private static readonly ProcessInfo Nginx = new(100, 1, "nginx", "/usr/sbin/nginx", "nginx.service", null);
    private static readonly ProcessInfo NginxWorker = new(101, 1, "nginx", "/usr/sbin/nginx", "nginx.service", null);
    private static readonly ProcessInfo Curl = new(200, 1, "curl", null, "session-1.scope", null);
    private static readonly ProcessInfo Hostile = new(300, 1, "we\"ird\\\n", null, null, "0123456789abcdef0123456789abcdef");
    private static readonly ContainerIdentity Web = new("feedfacefeedface0000", "web");

    private static Connection C(SocketProtocol p, SocketState s, string local, ushort lport, string remote, ushort rport,
        string iface, Direction d, ProcessInfo[] owners, ulong inode = 7, ContainerIdentity? container = null, uint rq = 0)
    {
        var l = InetAddress.Parse(local);
        var socket = new SocketRecord(p, l.Family, s, new(l, lport), new(InetAddress.Parse(remote), rport), 0, inode, 0, 0, rq, 0);
        return new Connection(socket, iface, d, owners, Container: container);
    }

    private static readonly Connection[] Sample =
    [
        C(SocketProtocol.Tcp, SocketState.Listen, "0.0.0.0", 80, "0.0.0.0", 0, "any", Direction.Listen, [Nginx, NginxWorker]),
        C(SocketProtocol.Tcp, SocketState.Established, "10.0.0.1", 80, "10.0.0.9", 51000, "eth0", Direction.Incoming, [NginxWorker]),
        C(SocketProtocol.Tcp, SocketState.Established, "10.0.0.1", 80, "10.0.0.9", 51001, "eth0", Direction.Incoming, [NginxWorker]),
        C(SocketProtocol.Tcp, SocketState.Established, "2001:db8::1", 40000, "2001:db8::2", 443, "eth0", Direction.Outgoing, [Curl], rq: 1234567),
        C(SocketProtocol.Tcp, SocketState.TimeWait, "127.0.0.1", 40001, "127.0.0.1", 80, "lo", Direction.Outgoing, [], inode: 0),
        C(SocketProtocol.Udp, SocketState.Close, "127.0.0.53", 53, "0.0.0.0", 0, "lo", Direction.Unknown, [Hostile]),
        C(SocketProtocol.Udp, SocketState.Established, "10.0.0.1", 5000, "10.0.0.2", 53, "eth0", Direction.Outgoing, [Curl], container: Web),
    ];

    /// <summary>What <paramref name="write"/> writes through a small output buffer (many hand-overs).</summary>
    internal static string Render(Action<BufferedUtf8Output> write)
    {
        using var stream = new MemoryStream();
        var o = new BufferedUtf8Output(stream, 256);
        write(o);
        o.Flush();
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static ConnectionFilter F(ConnectionFilterValues v) => ConnectionFilter.Parse(v);

    private static List<Connection> Select(ConnectionFilterValues v) => Sample.Where(c => F(v).Matches(c)).ToList();

    [Fact]
    public void Table_columns_line_up_and_the_process_column_is_last()
    {
        var lines = Render(o => ConnectionsTableWriter.Write(o, Sample, ConnectionFilter.None)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Sample.Length + 1, lines.Length);
        var header = lines[0];
        string[] columns = ["Netid", "State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port", "Interface", "Direction", "Netns", "Container", "Unit", "Process"];
        var starts = columns.Select(c => header.IndexOf(c, StringComparison.Ordinal)).ToArray();
        Assert.All(starts, s => Assert.True(s >= 0));
        Assert.Equal(starts.Order(), starts);
        // Every cell but the last starts where its header does, preceded by a space.
        foreach (var line in lines.Skip(1))
            foreach (var s in starts.Skip(1))
                Assert.True(line[s - 1] == ' ' && line[s] != ' ', $"column at {s} misaligned in:\n{header}\n{line}");
        Assert.Contains("[2001:db8::1]:40000", lines[4], StringComparison.Ordinal);
        Assert.Contains("1234567", lines[4], StringComparison.Ordinal);
        Assert.EndsWith("\"nginx\"(pid=100),\"nginx\"(pid=101)", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("unowned", lines[5], StringComparison.Ordinal);
        // A hostile comm cannot break the line or fake a quote; its container shows as the short id.
        Assert.EndsWith("\"we\\\"ird\\\\\\x0a\"(pid=300)", lines[6], StringComparison.Ordinal);
        Assert.Contains(" 0123456789ab ", lines[6], StringComparison.Ordinal);
        Assert.Contains(" web ", lines[7], StringComparison.Ordinal);
        Assert.Contains("*:80 ", lines[1], StringComparison.Ordinal);
        Assert.Contains("*:* ", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Table_widths_follow_only_the_rows_shown()
    {
        var wide = Render(o => ConnectionsTableWriter.Write(o, Sample, ConnectionFilter.None)).Split('\n')[0];
        var narrow = Render(o => ConnectionsTableWriter.Write(o, Sample, F(new(Protocol: "udp")))).Split('\n')[0];
        // Without the IPv6 row the address column is narrower.
        Assert.True(narrow.IndexOf("Peer", StringComparison.Ordinal) < wide.IndexOf("Peer", StringComparison.Ordinal), $"{narrow}\n{wide}");
    }

    [Fact]
    public void Filters_select_what_they_name()
    {
        Assert.Equal(3, Select(new(Process: "nginx")).Count);
        Assert.Single(Select(new(Process: "100")));
        Assert.Equal(2, Select(new(Process: "curl")).Count);
        Assert.Empty(Select(new(Process: "ngin")));
        Assert.Equal(3, Select(new(Unit: "nginx")).Count);          // .service may be left out
        Assert.Equal(3, Select(new(Unit: "nginx.service")).Count);
        Assert.Equal(2, Select(new(Unit: "session-1.scope")).Count);
        // eth0's own sockets and the wildcard listener, which accepts on eth0 too.
        Assert.Equal(5, Select(new(Interface: "eth0")).Count);
        Assert.Single(Select(new(Interface: "any")));
        Assert.Equal(3, Select(new(Interface: "lo")).Count);
        Assert.Equal(["LISTEN", "UNCONN"], Select(new(Listening: true)).Select(c => SocketStates.Name(c.Socket.Protocol, c.Socket.State)));
        Assert.Single(Select(new(Container: "web")));
        Assert.Single(Select(new(Container: "feedface")));
        Assert.Single(Select(new(Container: "0123456789"))); // the owner's cgroup container id
        Assert.Empty(Select(new(Container: "nope")));
        Assert.Equal(2, Select(new(Protocol: "tcp", States: ["ESTABLISHED"], Interface: "eth0", Process: "nginx")).Count);
        Assert.Equal(Sample.Length, Select(new(Netns: "all")).Count);
        Assert.Equal(Sample.Length, Select(new(Netns: "host")).Count);
        Assert.Empty(Select(new(Netns: "4026531999")));
    }

    [Theory]
    [InlineData("protocol", "sctp")]
    [InlineData("state", "OPEN")]
    [InlineData("port", "65536")]
    [InlineData("port", "-1")]
    [InlineData("process", "")]
    [InlineData("unit", "a/b")]
    [InlineData("interface", "this-name-is-too-long")]
    [InlineData("interface", "eth 0")]
    [InlineData("container", "")]
    [InlineData("netns", "")]
    public void Bad_values_name_their_parameter(string parameter, string value)
    {
        var values = parameter switch
        {
            "protocol" => new ConnectionFilterValues(Protocol: value),
            "state" => new ConnectionFilterValues(States: [value]),
            "port" => new ConnectionFilterValues(Port: value),
            "process" => new ConnectionFilterValues(Process: value),
            "unit" => new ConnectionFilterValues(Unit: value),
            "interface" => new ConnectionFilterValues(Interface: value),
            "container" => new ConnectionFilterValues(Container: value),
            _ => new ConnectionFilterValues(Netns: value),
        };
        var e = Assert.Throws<FilterValueException>(() => ConnectionFilter.Parse(values));
        Assert.Equal(parameter, e.Parameter);
        Assert.Equal(value, e.Value);
        Assert.StartsWith("expected ", e.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_counts_states_and_first_owners()
    {
        var s = ConnectionsSummary.Of(Sample, ConnectionFilter.None, withOwners: true);
        Assert.Equal((ulong)Sample.Length, s.Total);
        Assert.Equal([("tcp", "ESTABLISHED", 3UL), ("tcp", "TIME_WAIT", 1UL), ("tcp", "LISTEN", 1UL), ("udp", "ESTABLISHED", 1UL), ("udp", "UNCONN", 1UL)], s.States());
        Assert.Equal([("nginx", (string?)"nginx.service", 3UL), ("curl", "session-1.scope", 2UL), ("unowned", null, 1UL), ("we\"ird\\\n", null, 1UL)], s.Processes());
        using var doc = JsonDocument.Parse(Render(s.WriteJson));
        Assert.Equal(7, doc.RootElement.GetProperty("total").GetInt32());
        Assert.Equal(3, doc.RootElement.GetProperty("processes")[0].GetProperty("sockets").GetInt32());
        var table = Render(s.WriteTable);
        Assert.Contains("we\\\"ird\\\\\\x0a", table, StringComparison.Ordinal);
        Assert.DoesNotContain("Process", Render(ConnectionsSummary.Of(Sample, ConnectionFilter.None, withOwners: false).WriteTable), StringComparison.Ordinal);
    }

    [Fact]
    public void Group_by_peer_counts_established_connections_as_conn_peers_does()
    {
        var g = ConnectionGroups.Of(GroupBy.Peer, Sample, ConnectionFilter.None);
        using var doc = JsonDocument.Parse(Render(g.WriteJson));
        var rows = doc.RootElement.EnumerateArray().Select(e =>
            $"{e.GetProperty("direction").GetString()} {e.GetProperty("protocol").GetString()} {e.GetProperty("peer_address").GetString()} " +
            $"{e.GetProperty("port").GetInt32()} {e.GetProperty("process").GetString()} {e.GetProperty("connections").GetInt32()}").ToList();
        // Both incoming connections fold into one (service port 80, ephemeral ports dropped); most
        // first, then by process, unit, direction and port.
        Assert.Equal(["incoming tcp 10.0.0.9 80 nginx 2", "outgoing udp 10.0.0.2 53 curl 1", "outgoing tcp 2001:db8::2 443 curl 1"], rows);
    }

    [Fact]
    public void Group_by_process_and_unit_have_a_column_per_state()
    {
        var byProcess = Render(ConnectionGroups.Of(GroupBy.Process, Sample, ConnectionFilter.None).WriteTable).Split('\n');
        Assert.Equal(["Process", "Unit", "Sockets", "ESTABLISHED", "TIME_WAIT", "LISTEN", "udp:ESTABLISHED", "udp:UNCONN"],
            byProcess[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["nginx", "nginx.service", "3", "2", "0", "1", "0", "0"], byProcess[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        using var doc = JsonDocument.Parse(Render(ConnectionGroups.Of(GroupBy.Unit, Sample, F(new(Protocol: "udp"))).WriteJson));
        var units = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, units.Count);
        Assert.All(units, u => Assert.False(u.TryGetProperty("process", out _)));
        Assert.Equal(2, units.Sum(u => u.GetProperty("sockets").GetInt32()));
    }

    [Fact]
    public void Json_lines_layout_is_one_valid_array_with_an_object_per_line()
    {
        using var stream = new MemoryStream();
        ConnectionsJsonWriter.Write(stream, Sample, F(new(Protocol: "tcp")));
        var text = Encoding.UTF8.GetString(stream.ToArray());
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["[", "]"], new[] { lines[0], lines[^1] });
        Assert.Equal(5, lines.Length - 2);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(5, doc.RootElement.GetArrayLength());
        Assert.Equal("2001:db8::1", doc.RootElement[3].GetProperty("local_address").GetString());
        using var empty = new MemoryStream();
        ConnectionsJsonWriter.Write(empty, Sample, F(new(Port: "9")));
        Assert.Equal("[]\n", Encoding.UTF8.GetString(empty.ToArray()));
    }

    /// <summary>The asynchronous entry point an HTTP endpoint uses: the same objects, filtered,
    /// flushed in pieces (never the whole array buffered) to a stream that refuses sync writes.</summary>
    [Fact]
    public async Task WriteAsync_streams_the_same_array_without_synchronous_writes()
    {
        var many = Enumerable.Range(0, 2000).Select(i => Sample[i % Sample.Length]).ToList();
        await using var stream = new AsyncOnlyStream();
        await ConnectionsJsonWriter.WriteAsync(stream, many, F(new(Protocol: "udp")));
        using var doc = JsonDocument.Parse(stream.ToArray());
        Assert.Equal(many.Count(c => c.Socket.Protocol == SocketProtocol.Udp), doc.RootElement.GetArrayLength());
        Assert.True(stream.Writes > 1, "written in more than one piece");
    }

    /// <summary>Accepts only asynchronous writes, as Kestrel's response body does by default.</summary>
    private sealed class AsyncOnlyStream : Stream
    {
        private readonly MemoryStream _inner = new();

        public int Writes { get; private set; }

        public byte[] ToArray() => _inner.ToArray();

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _inner.Length;
        public override long Position { get => _inner.Position; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => throw new InvalidOperationException("synchronous write");

        public override void Write(ReadOnlySpan<byte> buffer) => throw new InvalidOperationException("synchronous write");

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            _inner.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => throw new InvalidOperationException("synchronous flush");

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
