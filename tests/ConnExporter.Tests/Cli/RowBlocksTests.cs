using System.Text;
using ConnExporter.Cli;
using ConnExporter.Inventory;

namespace ConnExporter.Tests.Cli;

/// <summary>Listings formatted on two threads (<see cref="RowBlocks"/>) are byte for byte what
/// one thread writes: in order, every row once, whatever the block boundaries and the filter.</summary>
public class RowBlocksTests
{
    [Theory]
    [InlineData(RowBlocks.MinimumRows, 1)]
    [InlineData(RowBlocks.MinimumRows, 7)]
    [InlineData(10_007, 100)]
    [InlineData(10_000, 5000)]
    [InlineData(9_999, 20_000)]
    public void Blocks_are_written_in_row_order(int rows, int blockRows)
    {
        var threads = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        string text = Render(o => RowBlocks.Write(o, rows, blockRows, (into, start, end) =>
        {
            threads[Environment.CurrentManagedThreadId] = true;
            for (int i = start; i < end; i++)
            {
                // Rows of different lengths, some longer than the output's buffer.
                into.Write($"row {i} ");
                into.WriteSpaces(i % 13 == 0 ? 300 : i % 5);
                into.WriteByte((byte)'\n');
            }
        }));

        var expected = new StringBuilder();
        for (int i = 0; i < rows; i++) expected.Append($"row {i} ").Append(' ', i % 13 == 0 ? 300 : i % 5).Append('\n');
        Assert.Equal(expected.ToString(), text);
        // One block only (blockRows ≥ rows) is the calling thread's alone.
        Assert.Equal(blockRows >= rows ? 1 : 2, threads.Count);
    }

    [Fact]
    public void A_failing_block_on_the_second_thread_fails_the_write_and_the_thread_ends()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Render(o => RowBlocks.Write(o, 10_000, 100, (into, start, end) =>
        {
            if (start == 4100) throw new InvalidOperationException("block 41");
            into.Write($"{start}\n");
        })));
        Assert.Equal("block 41", e.Message);
    }

    [Fact]
    public void A_failing_output_stops_the_second_thread()
    {
        int formatted = 0;
        using var stream = new FailingStream(after: 100_000);
        var o = new BufferedUtf8Output(stream);
        Assert.Throws<IOException>(() => RowBlocks.Write(o, 100_000, 256, (into, start, end) =>
        {
            Interlocked.Add(ref formatted, end - start);
            for (int i = start; i < end; i++) into.Write("a row of some text\n"u8);
        }));
        // The second thread stopped at most two blocks ahead of the failed write: not every row was formatted.
        Assert.True(formatted < 100_000, $"{formatted} rows formatted");
    }

    [Fact]
    public void Halves_cover_every_row_once()
    {
        var seen = new int[RowBlocks.MinimumRows * 3 + 1];
        int halves = RowBlocks.ForHalves(seen.Length, (half, start, end) =>
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref seen[i]);
        });
        Assert.Equal(2, halves);
        Assert.All(seen, n => Assert.Equal(1, n));
        Assert.Equal(1, RowBlocks.ForHalves(RowBlocks.MinimumRows - 1, (_, _, _) => { }));
    }

    public static TheoryData<string> Filters => new() { "", "udp", "established", "port 80" };

    [Theory]
    [MemberData(nameof(Filters))]
    public void Table_and_json_of_many_connections_are_the_bytes_one_thread_writes(string filter)
    {
        var connections = Many(12_345);
        var f = filter switch
        {
            "" => ConnectionFilter.None,
            "udp" => ConnectionFilter.Parse(new(Protocol: "udp")),
            "established" => ConnectionFilter.Parse(new(States: ["ESTABLISHED"])),
            _ => ConnectionFilter.Parse(new(Port: "80")),
        };
        string table = Render(o => ConnectionsTableWriter.Write(o, connections, f));
        string json = Render(o => ConnectionsJsonWriter.Write(o, connections, f));
        RowBlocks.OneThread = true;
        try
        {
            Assert.Equal(Render(o => ConnectionsTableWriter.Write(o, connections, f)), table);
            Assert.Equal(Render(o => ConnectionsJsonWriter.Write(o, connections, f)), json);
        }
        finally
        {
            RowBlocks.OneThread = false;
        }
        Assert.Equal(connections.Count(c => f.Matches(c)) + 1, table.Count(ch => ch == '\n'));
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(connections.Count(c => f.Matches(c)), doc.RootElement.GetArrayLength());
    }

    /// <summary>Sockets of varied widths: the widest ones sit late in the list, so a width
    /// measured over half of it only would show.</summary>
    private static List<Connection> Many(int count)
    {
        var owner = new ProcessInfo(42, 1, "holder", "/usr/bin/holder", "holder.service", null);
        var list = new List<Connection>(count);
        for (int i = 0; i < count; i++)
        {
            bool v6 = i % 3 == 0;
            var local = InetAddress.Parse(v6 ? $"2001:db8::{i % 65535:x}" : $"10.{i % 250}.{i / 250 % 250}.1");
            var remote = InetAddress.Parse(v6 ? "2001:db8::ffff:1" : "10.0.0.2");
            var protocol = i % 7 == 0 ? SocketProtocol.Udp : SocketProtocol.Tcp;
            var state = protocol == SocketProtocol.Udp ? SocketState.Close : i % 5 == 0 ? SocketState.Listen : SocketState.Established;
            uint queue = i > count - 10 ? 4_000_000_000u : (uint)(i % 100);
            var socket = new SocketRecord(protocol, local.Family, state, new(local, (ushort)(80 + i % 3)), new(remote, (ushort)(i % 60000)),
                0, (ulong)(i + 1), 0, (ulong)(i + 1), queue, 0);
            list.Add(new Connection(socket, i > count - 5 ? "a-long-interface-name" : "eth0", Direction.Outgoing, i % 4 == 0 ? [] : [owner]));
        }
        return list;
    }

    private static string Render(Action<BufferedUtf8Output> write) => ConnectionsViewsTests.Render(write);

    /// <summary>Accepts <c>after</c> bytes, then fails every write as a pipe without a reader does.</summary>
    private sealed class FailingStream(int after) : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Length + count > after) throw new IOException("broken pipe", 32);
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Length + buffer.Length > after) throw new IOException("broken pipe", 32);
            base.Write(buffer);
        }
    }
}
