using System.Text;
using System.Text.Json;
using ConnExporter.Cli;

namespace ConnExporter.Tests.Cli;

public class BufferedUtf8OutputTests
{
    /// <summary>Counts the writes that reach the stream.</summary>
    private sealed class CountingStream : MemoryStream
    {
        public int Writes { get; private set; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes++;
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Writes++;
            base.Write(buffer);
        }
    }

    [Fact]
    public void Buffers_until_full_then_writes_whole_buffers()
    {
        using var stream = new CountingStream();
        var o = new BufferedUtf8Output(stream, 256);
        var expected = new StringBuilder();
        for (int i = 0; i < 1000; i++)
        {
            o.Write("row ");
            o.Write((ulong)i);
            o.WriteSpaces(i % 7);
            o.WriteByte((byte)'\n');
            expected.Append("row ").Append(i).Append(' ', i % 7).Append('\n');
        }
        Assert.True(stream.Writes < expected.Length / 200, $"{stream.Writes} writes for {expected.Length} bytes");
        o.Flush();
        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public void Text_longer_than_the_buffer_and_non_ascii_arrive_intact()
    {
        using var stream = new MemoryStream();
        var o = new BufferedUtf8Output(stream, 256);
        var text = string.Concat(Enumerable.Repeat("ünïcödé ✓ ", 100));
        o.Write("a");
        o.Write(text);
        o.WriteSpaces(1000);
        o.Flush();
        Assert.Equal("a" + text + new string(' ', 1000), Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public void Serves_Utf8JsonWriter_as_a_buffer_writer()
    {
        using var stream = new MemoryStream();
        var o = new BufferedUtf8Output(stream, 256);
        using (var json = new Utf8JsonWriter(o))
        {
            json.WriteStartArray();
            for (int i = 0; i < 500; i++) json.WriteStringValue("value " + i);
            json.WriteEndArray();
        }
        o.Flush();
        using var doc = JsonDocument.Parse(stream.ToArray());
        Assert.Equal(Enumerable.Range(0, 500).Select(i => "value " + i), doc.RootElement.EnumerateArray().Select(e => e.GetString()));
    }
}
