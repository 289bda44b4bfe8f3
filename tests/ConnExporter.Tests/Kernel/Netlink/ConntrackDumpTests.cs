using ConnExporter.Inventory;
using ConnExporter.Kernel.Netlink;

namespace ConnExporter.Tests.Kernel.Netlink;

public class ConntrackDumpTests
{
    private const uint Sequence = 9;

    private static InetEndpoint Ep(string address, ushort port) => new(InetAddress.Parse(address), port);

    // Real kernel reply captured by Fixtures/conntrack/capture.py (its docstring says what the
    // namespace held): one datagram per line, hex.
    private static byte[][] CapturedBatches()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures/conntrack/dnat-dump.hex");
        Assert.True(File.Exists(path), $"fixture missing: {path}");
        return File.ReadAllLines(path).Where(l => l.Length > 0).Select(Convert.FromHexString).ToArray();
    }

    [Fact]
    public void A_captured_kernel_dump_yields_the_translated_entries_only()
    {
        var batches = CapturedBatches();
        var dump = new ConntrackDump(sequence: 7);
        var translated = new Dictionary<ConntrackTuple, InetEndpoint>();

        foreach (var batch in batches) dump.Add(batch, truncated: false, translated);

        Assert.True(dump.IsDone);
        Assert.Equal(0, dump.Error);
        Assert.Equal(0, dump.Malformed);
        Assert.True(dump.Entries >= 4, $"{dump.Entries} entries");
        // The untranslated connection (to 127.0.0.1:18080 directly) is in the dump but not here.
        var byDestination = translated.ToDictionary(kv => (kv.Key.Protocol, kv.Key.Destination), kv => kv.Value);
        Assert.Equal(3, byDestination.Count);
        Assert.Equal(Ep("127.0.0.1", 18080), byDestination[(6, Ep("10.96.0.10", 80))]);
        Assert.Equal(Ep("::1", 18080), byDestination[(6, Ep("fd00:96::10", 80))]);
        Assert.Equal(Ep("127.0.0.1", 18053), byDestination[(17, Ep("10.96.0.10", 53))]);
        Assert.All(translated.Keys, k => Assert.NotEqual(0, k.Source.Port));
    }

    [Fact]
    public void A_socket_finds_its_entry_by_its_own_tuple_even_dual_stack()
    {
        var batch = new SockDiagBatchBuilder()
            .Message(ConntrackBatchBuilder.CtNew, Sequence,
                ConntrackBatchBuilder.Entry(6, "192.0.2.5", 40000, "10.96.0.10", 80, "10.244.1.7", 8080))
            .Done(Sequence).ToArray();
        var translated = new Dictionary<ConntrackTuple, InetEndpoint>();
        new ConntrackDump(Sequence).Add(batch, false, translated);

        // What inet_diag shows for a dual-stack socket connected to the IPv4 VIP.
        var socket = new SocketRecord(SocketProtocol.Tcp, IpFamily.IPv6, SocketState.Established,
            Ep("::ffff:192.0.2.5", 40000), Ep("::ffff:10.96.0.10", 80), 0, 1, 0, 1, 0, 0);
        Assert.True(translated.TryGetValue(ConntrackTuple.OfSocket(socket), out var real));
        Assert.Equal(Ep("10.244.1.7", 8080), real);
        var udp = socket with { Protocol = SocketProtocol.Udp };
        Assert.False(translated.ContainsKey(ConntrackTuple.OfSocket(udp)));
    }

    [Fact]
    public void Entries_without_destination_nat_are_skipped_not_counted()
    {
        var batch = new SockDiagBatchBuilder()
            .Message(ConntrackBatchBuilder.CtNew, Sequence,
                ConntrackBatchBuilder.Entry(6, "192.0.2.5", 40000, "198.51.100.1", 443, "198.51.100.1", 443, status: 0x0E))
            // ICMP (protocol 1) translated: not a socket this exporter lists.
            .Message(ConntrackBatchBuilder.CtNew, Sequence,
                ConntrackBatchBuilder.Entry(1, "192.0.2.5", 0, "10.96.0.10", 0, "10.244.1.7", 0))
            .Done(Sequence).ToArray();
        var translated = new Dictionary<ConntrackTuple, InetEndpoint>();
        var dump = new ConntrackDump(Sequence);
        dump.Add(batch, false, translated);

        Assert.Empty(translated);
        Assert.Equal(2, dump.Entries);
        Assert.Equal(0, dump.Malformed);
    }

    public static TheoryData<string, byte[]> MalformedEntries()
    {
        var good = ConntrackBatchBuilder.Entry(6, "192.0.2.5", 40000, "10.96.0.10", 80, "10.244.1.7", 8080);
        var data = new TheoryData<string, byte[]>
        {
            { "shorter than nfgenmsg", [2, 0] },
            { "status missing", good[..^8] },
            { "tuples missing", [2, 0, 0, 0, .. ConntrackBatchBuilder.Attribute(3, [0, 0, 0, 0x20])] },
        };
        // An attribute claiming more bytes than the message has.
        var overlong = good.ToArray();
        overlong[4] = 0xFF;
        data.Add("attribute longer than the message", overlong);
        // An IPv4 address of 3 bytes inside the original tuple.
        var bad = ConntrackBatchBuilder.Tuple(1, 6, "192.0.2.5", 40000, "10.96.0.10", 80);
        // CTA_TUPLE_ORIG(4) CTA_TUPLE_IP(4) CTA_IP_V4_SRC(4): length field at offset 8, 8 → 7.
        bad[8] = 7;
        data.Add("IPv4 address not 4 bytes", [2, 0, 0, 0, .. bad,
            .. ConntrackBatchBuilder.Tuple(2, 6, "10.244.1.7", 8080, "192.0.2.5", 40000),
            .. ConntrackBatchBuilder.Attribute(3, [0, 0, 0, 0x20])]);
        return data;
    }

    [Theory]
    [MemberData(nameof(MalformedEntries))]
    public void A_malformed_entry_is_counted_and_the_next_one_still_read(string why, byte[] entry)
    {
        var batch = new SockDiagBatchBuilder()
            .Message(ConntrackBatchBuilder.CtNew, Sequence, entry)
            .Message(ConntrackBatchBuilder.CtNew, Sequence,
                ConntrackBatchBuilder.Entry(17, "192.0.2.5", 5353, "10.96.0.10", 53, "10.244.1.8", 53))
            .Done(Sequence).ToArray();
        var translated = new Dictionary<ConntrackTuple, InetEndpoint>();
        var dump = new ConntrackDump(Sequence);
        dump.Add(batch, false, translated);

        Assert.True(dump.Malformed == 1, $"{why}: {dump.Malformed} malformed ({dump.FirstProblem})");
        Assert.NotNull(dump.FirstProblem);
        Assert.Equal(Ep("10.244.1.8", 53), Assert.Single(translated).Value);
        Assert.True(dump.IsDone);
    }

    [Fact]
    public void Every_truncation_of_a_captured_message_is_counted_never_thrown()
    {
        var batch = CapturedBatches()[0];
        int length = BitConverter.ToInt32(batch, 0);
        // Where the captured entry's top-level attributes end (after the 16-byte header and the
        // 4-byte nfgenmsg): a cut there leaves a shorter but well-formed message.
        var boundaries = new HashSet<int>();
        for (int at = 20; at < length; at += (BitConverter.ToUInt16(batch, at) + 3) & ~3)
            boundaries.Add(at);
        int statusEnd = 0;
        for (int at = 20; at < length; at += (BitConverter.ToUInt16(batch, at) + 3) & ~3)
            if ((BitConverter.ToUInt16(batch, at + 2) & 0x3FFF) == 3) statusEnd = at + 8;
        Assert.True(statusEnd > 20, "captured entry has CTA_STATUS");

        for (int cut = 16; cut < length; cut++)
        {
            var message = batch[..cut];
            BitConverter.GetBytes(cut).CopyTo(message, 0); // nlmsg_len now says the cut length
            var translated = new Dictionary<ConntrackTuple, InetEndpoint>();
            var dump = new ConntrackDump(sequence: 7);
            dump.Add(message, truncated: false, translated);

            Assert.Equal(1, dump.Entries);
            bool wellFormed = cut >= statusEnd && boundaries.Contains(cut);
            Assert.True(dump.Malformed == (wellFormed ? 0 : 1), $"cut at {cut}: {dump.Malformed} malformed ({dump.FirstProblem})");
            if (!wellFormed) Assert.Empty(translated);
        }
    }

    [Fact]
    public void A_batch_cut_short_is_counted_once_and_marks_messages_lost()
    {
        var batch = CapturedBatches()[0];
        var dump = new ConntrackDump(sequence: 7);
        dump.Add(batch.AsSpan(0, batch.Length / 2), truncated: true, []);
        Assert.Equal(1, dump.Malformed);
        Assert.True(dump.LostMessages);
        Assert.False(dump.IsDone);
    }

    [Fact]
    public void A_refused_dump_reports_the_errno()
    {
        var batch = new SockDiagBatchBuilder().Error(Sequence, -1).ToArray();
        var dump = new ConntrackDump(Sequence);
        dump.Add(batch, false, []);
        Assert.True(dump.IsDone);
        Assert.Equal(-1, dump.Error);
        Assert.Equal(0, dump.Entries);
    }

    [Fact]
    public void Another_requests_messages_are_ignored()
    {
        var batch = new SockDiagBatchBuilder()
            .Message(ConntrackBatchBuilder.CtNew, Sequence + 1,
                ConntrackBatchBuilder.Entry(6, "192.0.2.5", 40000, "10.96.0.10", 80, "10.244.1.7", 8080))
            .Done(Sequence).ToArray();
        var translated = new Dictionary<ConntrackTuple, InetEndpoint>();
        var dump = new ConntrackDump(Sequence);
        dump.Add(batch, false, translated);
        Assert.Empty(translated);
        Assert.Equal(0, dump.Entries);
    }

    [Fact]
    public void The_request_asks_for_a_dump_of_destination_nat_entries()
    {
        var bytes = new byte[ConntrackRequest.MessageSize];
        int n = ConntrackRequest.Write(bytes, sequence: 5);

        Assert.Equal(36, n);
        Assert.Equal(
            "24000000" + "0101" + "0103" + "05000000" + "00000000" // nlmsghdr: len 36, CT_GET, REQUEST|DUMP, seq 5
            + "00000000"                                            // nfgenmsg: AF_UNSPEC, v0, res_id 0
            + "08000300" + "00000020"                               // CTA_STATUS = IPS_DST_NAT (be32)
            + "08001a00" + "00000020",                              // CTA_STATUS_MASK (26)
            Convert.ToHexString(bytes).ToLowerInvariant());
    }
}
