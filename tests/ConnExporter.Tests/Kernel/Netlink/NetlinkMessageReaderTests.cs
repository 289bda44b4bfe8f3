using System.Buffers.Binary;
using ConnExporter.Kernel.Netlink;

namespace ConnExporter.Tests.Kernel.Netlink;

public class NetlinkMessageReaderTests
{
    [Fact]
    public void Header_is_16_bytes_and_round_trips()
    {
        Assert.Equal(16, NetlinkMessageHeader.Size);
        var header = new NetlinkMessageHeader(72, 20, 0x301, 7, 0);
        var bytes = new byte[16];
        header.Write(bytes);
        Assert.Equal(72u, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        Assert.Equal((ushort)0x301, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(6)));
        Assert.Equal(header, NetlinkMessageHeader.Read(bytes));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 4)]
    [InlineData(16, 16)]
    [InlineData(21, 24)]
    [InlineData(23, 24)]
    public void Align_rounds_up_to_four(int length, int aligned) =>
        Assert.Equal(aligned, NetlinkMessageHeader.Align(length));

    [Fact]
    public void Walks_a_batch_until_done()
    {
        var batch = new SockDiagBatchBuilder()
            .Message(20, 1, [1, 2, 3, 4, 5])        // 21 bytes, padded to 24
            .Message(20, 1, [6, 7, 8, 9])
            .Message(SockDiagBatchBuilder.NlmsgNoop, 1, [])
            .Message(20, 1, [])
            .Done(1)
            .Message(20, 1, [0xEE])                 // after DONE: never surfaced
            .ToArray();
        var reader = new NetlinkMessageReader(batch);

        Assert.True(reader.MoveNext());
        Assert.Equal(21u, reader.Header.Length);
        Assert.Equal((ushort)20, reader.Header.Type);
        Assert.Equal(1u, reader.Header.Sequence);
        Assert.Equal(4242u, reader.Header.PortId);
        Assert.Equal([1, 2, 3, 4, 5], reader.Payload.ToArray());
        Assert.True(reader.MoveNext());
        Assert.Equal([6, 7, 8, 9], reader.Payload.ToArray());
        Assert.True(reader.MoveNext());
        Assert.Equal(0, reader.Payload.Length);
        Assert.False(reader.MoveNext());
        Assert.True(reader.IsDone);
        Assert.Equal(0, reader.Error);
        Assert.False(reader.IsMalformed);
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void Batch_without_done_ends_without_error()
    {
        var batch = new SockDiagBatchBuilder().Message(20, 1, [1]).Message(20, 1, [2], pad: false).ToArray();
        var reader = new NetlinkMessageReader(batch);
        Assert.True(reader.MoveNext());
        Assert.True(reader.MoveNext());
        Assert.Equal([2], reader.Payload.ToArray());
        Assert.False(reader.MoveNext());
        Assert.False(reader.IsDone);
        Assert.False(reader.IsMalformed);
    }

    [Fact]
    public void Empty_batch_is_neither_done_nor_malformed()
    {
        var reader = new NetlinkMessageReader([]);
        Assert.False(reader.MoveNext());
        Assert.False(reader.IsDone);
        Assert.False(reader.IsMalformed);
    }

    [Fact]
    public void Surfaces_nlmsg_error_with_its_negative_errno()
    {
        var batch = new SockDiagBatchBuilder().Error(3, -97).ToArray();
        var reader = new NetlinkMessageReader(batch);
        Assert.False(reader.MoveNext());
        Assert.True(reader.IsDone);
        Assert.Equal(-97, reader.Error);
        Assert.False(reader.IsMalformed);
    }

    [Fact]
    public void Surfaces_the_errno_of_a_failed_dump_in_nlmsg_done()
    {
        var reader = new NetlinkMessageReader(new SockDiagBatchBuilder().Done(3, -12).ToArray());
        Assert.False(reader.MoveNext());
        Assert.True(reader.IsDone);
        Assert.Equal(-12, reader.Error);
    }

    [Fact]
    public void Error_message_without_its_code_is_malformed()
    {
        var reader = new NetlinkMessageReader(new SockDiagBatchBuilder().Message(SockDiagBatchBuilder.NlmsgError, 1, [1, 2]).ToArray());
        Assert.False(reader.MoveNext());
        Assert.True(reader.IsMalformed);
        Assert.False(reader.IsDone);
    }

    [Fact]
    public void Length_longer_than_the_batch_stops_it_as_malformed()
    {
        var batch = new SockDiagBatchBuilder().Message(20, 1, [1, 2, 3, 4]).Message(20, 1, [5, 6, 7, 8]).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(batch.AsSpan(20), 4096); // second message claims 4 KiB
        var reader = new NetlinkMessageReader(batch);
        Assert.True(reader.MoveNext());
        Assert.False(reader.MoveNext());
        Assert.True(reader.IsMalformed);
        Assert.Contains("longer", reader.Problem);
        Assert.False(reader.MoveNext());
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(8u)]
    [InlineData(15u)]
    public void Length_shorter_than_the_header_stops_it_as_malformed(uint length)
    {
        var batch = new SockDiagBatchBuilder().Message(20, 1, [1, 2, 3, 4]).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(batch, length);
        var reader = new NetlinkMessageReader(batch);
        Assert.False(reader.MoveNext());
        Assert.True(reader.IsMalformed);
        Assert.Contains("shorter", reader.Problem);
    }

    [Fact]
    public void Trailing_partial_header_is_malformed()
    {
        var batch = new SockDiagBatchBuilder().Message(20, 1, [1, 2, 3, 4]).Raw(new byte[10]).ToArray();
        var reader = new NetlinkMessageReader(batch);
        Assert.True(reader.MoveNext());
        Assert.False(reader.MoveNext());
        Assert.True(reader.IsMalformed);
        Assert.False(reader.IsDone);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(97)]
    [InlineData(-4096)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void Error_code_that_is_no_errno_is_malformed_not_an_error(int code)
    {
        var reader = new NetlinkMessageReader(new SockDiagBatchBuilder().Error(3, code).ToArray());
        Assert.False(reader.MoveNext());
        Assert.True(reader.IsMalformed);
        Assert.Contains("not a negative errno", reader.Problem);
        Assert.False(reader.IsDone);
        Assert.Equal(0, reader.Error);
    }

    [Fact]
    public void Error_with_only_its_code_left_of_the_echoed_request_still_counts()
    {
        // NETLINK_CAP_ACK or a short forgery: the echoed request header is missing.
        var reader = new NetlinkMessageReader(new SockDiagBatchBuilder().Message(SockDiagBatchBuilder.NlmsgError, 3, [0xEA, 0xFF, 0xFF, 0xFF]).ToArray());
        Assert.False(reader.MoveNext());
        Assert.True(reader.IsDone);
        Assert.Equal(-22, reader.Error);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(-4096)]
    [InlineData(int.MinValue)]
    public void Done_code_that_is_no_errno_ends_the_dump_cleanly(int code)
    {
        var reader = new NetlinkMessageReader(new SockDiagBatchBuilder().Done(3, code).ToArray());
        Assert.False(reader.MoveNext());
        Assert.True(reader.IsDone);
        Assert.Equal(0, reader.Error);
    }
}
