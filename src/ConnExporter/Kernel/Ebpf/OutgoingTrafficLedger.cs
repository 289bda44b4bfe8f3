using ConnExporter.Inventory;
using ConnExporter.Kernel.Netlink;

namespace ConnExporter.Kernel.Ebpf;

/// <summary>
/// The traffic of outgoing connections counted one by one (<c>conn_traffic_conns</c>, kept by the
/// program while conntrack is read), summed here under the label set the kernel gave each plus
/// its real destination: the conntrack entry whose original tuple is the connection's (local
/// endpoint → the address it connected to) carries it, and a tracing program cannot read that
/// table. Each connection is resolved once, at the first read that sees it; a connection that
/// closed more than the conntrack entry's lifetime before that read (120 s after a normal close,
/// 10 s after a reset) keeps no destination.
/// </summary>
/// <remarks>
/// Exactly once: each kernel entry's totals only grow; a read adds what each grew by since the
/// last one (remembered per entry) to the sums, which only grow too. An entry seen closed is
/// deleted at the next read, not at once: its final totals are then surely visible (a read may
/// copy the totals before the final flush and the closed mark after it), and so is a reset sent
/// right after the close. Bounded by the map (65 536 entries); the sums by
/// <see cref="MaxLabelSets"/>, past which new label sets lose their destination.
/// </remarks>
internal sealed class OutgoingTrafficLedger
{
    public const int MaxLabelSets = 32768;

    private readonly BpfMap _map;
    private readonly ConntrackDestinations _conntrack;
    private readonly CommNames _comms;
    private readonly Dictionary<ConnectionId, Connection> _connections = [];
    private readonly Dictionary<LabelSet, TrafficTotals> _sums = [];
    // This read's entries, key and value back to back: one buffer for all reads, not two arrays per entry.
    private byte[] _entries = new byte[64 * EntrySize];
    private int _entryCount;
    private const int EntrySize = ConnEventsLayout.ConnectionKeySize + ConnEventsLayout.ConnectionValueSize;
    private int _generation;

    public OutgoingTrafficLedger(BpfMap map, ConntrackDestinations conntrack, CommNames comms)
    {
        _map = map;
        _conntrack = conntrack;
        _comms = comms;
    }

    private readonly record struct ConnectionId(ulong Socket, ulong StartNs);

    /// <summary>The kernel's label set of an outgoing connection plus its real destination.</summary>
    public readonly record struct LabelSet(string Process, ulong Cgroup, InetAddress Peer, ushort Port, InetEndpoint? Actual);

    private sealed class Connection(LabelSet labels)
    {
        public LabelSet Labels = labels;
        public TrafficTotals Counted;
        public bool SeenClosed;
        public int Generation;
    }

    /// <summary>Adds what the kernel's entries gained since the last read and returns the sums.</summary>
    public IReadOnlyDictionary<LabelSet, TrafficTotals> Read()
    {
        _generation++;
        _entryCount = 0;
        bool unresolved = false;
        _map.ForEach((key, value) =>
        {
            unresolved |= !_connections.ContainsKey(Id(key));
            if ((_entryCount + 1) * EntrySize > _entries.Length) Array.Resize(ref _entries, _entries.Length * 2);
            var entry = _entries.AsSpan(_entryCount++ * EntrySize, EntrySize);
            key.CopyTo(entry);
            value[..ConnEventsLayout.ConnectionValueSize].CopyTo(entry[ConnEventsLayout.ConnectionKeySize..]);
        });
        // One dump for all the connections new in this read; none when there are none.
        bool tableRead = unresolved && _conntrack.Refresh();

        for (int i = 0; i < _entryCount; i++)
        {
            var key = _entries.AsSpan(i * EntrySize, ConnEventsLayout.ConnectionKeySize);
            var value = _entries.AsSpan(i * EntrySize + ConnEventsLayout.ConnectionKeySize, ConnEventsLayout.ConnectionValueSize);
            var id = Id(key);
            if (!_connections.TryGetValue(id, out var connection))
            {
                _connections[id] = connection = new Connection(Labels(value, tableRead));
            }
            connection.Generation = _generation;
            var totals = Totals(value[ConnEventsLayout.ConnectionTotals..]);
            var gained = Gained(totals, connection.Counted);
            connection.Counted = Max(totals, connection.Counted);
            if (gained != default) Add(ref connection.Labels, gained);
            if (value[ConnEventsLayout.ConnectionClosed] == 0) continue;
            if (connection.SeenClosed)
            {
                _map.Delete(key);
                _connections.Remove(id);
            }
            else
            {
                connection.SeenClosed = true;
            }
        }
        // A burst of connections must not keep its buffer (up to 8 MB) afterwards.
        if (_entries.Length > (1 << 20) && _entryCount * EntrySize < _entries.Length / 8) _entries = new byte[_entries.Length / 4];
        // Entries gone without us (none should be: only this deletes) leave nothing to follow.
        if (_connections.Count > _entryCount)
        {
            foreach (var (id, c) in _connections)
                if (c.Generation != _generation) _connections.Remove(id);
        }
        return _sums;
    }

    /// <summary>Takes away the sums of a cgroup that is gone (the caller keeps them as retired).</summary>
    public void Forget(LabelSet labels) => _sums.Remove(labels);

    private void Add(ref LabelSet labels, TrafficTotals gained)
    {
        if (!_sums.ContainsKey(labels) && _sums.Count >= MaxLabelSets && labels.Actual is not null)
            labels = labels with { Actual = null };
        _sums[labels] = _sums.GetValueOrDefault(labels) + gained;
    }

    private static ConnectionId Id(ReadOnlySpan<byte> key) => new(HostOrder.ReadUInt64(key), HostOrder.ReadUInt64(key[8..]));

    private LabelSet Labels(ReadOnlySpan<byte> value, bool tableRead)
    {
        var key = value[..ConnEventsLayout.TrafficKeySize];
        bool v6 = HostOrder.ReadUInt16(key[ConnEventsLayout.TrafficKeyFamily..]) == ConnEventsLayout.AfInet6;
        var peer = Address(key.Slice(ConnEventsLayout.TrafficKeyPeer, 16), v6);
        ushort port = HostOrder.ReadUInt16(key[ConnEventsLayout.TrafficKeyPort..]);
        InetEndpoint? actual = null;
        if (tableRead)
        {
            var local = new InetEndpoint(Address(value.Slice(ConnEventsLayout.ConnectionLocal, 16), v6),
                HostOrder.ReadUInt16(value[ConnEventsLayout.ConnectionLocalPort..]));
            var tuple = new ConntrackTuple(ConntrackTuple.IpProtoTcp, local, new InetEndpoint(peer, port));
            if (_conntrack.TryGetActual(tuple, out var real)) actual = real;
        }
        return new LabelSet(_comms.Get(key), HostOrder.ReadUInt64(key[ConnEventsLayout.TrafficKeyCgroup..]), peer, port, actual);
    }

    private static InetAddress Address(ReadOnlySpan<byte> bytes, bool v6) =>
        (v6 ? InetAddress.FromIPv6(bytes) : InetAddress.FromIPv4(bytes[..4])).Normalize();

    private static TrafficTotals Totals(ReadOnlySpan<byte> v) => new(
        HostOrder.ReadUInt64(v), HostOrder.ReadUInt64(v[8..]), HostOrder.ReadUInt64(v[16..]),
        HostOrder.ReadUInt64(v[24..]), HostOrder.ReadUInt64(v[32..]));

    // A copy of the kernel's value is not atomic as a whole: each counter is, and only grows.
    private static TrafficTotals Gained(TrafficTotals now, TrafficTotals before) => new(
        Above(now.SentBytes, before.SentBytes), Above(now.ReceivedBytes, before.ReceivedBytes),
        Above(now.Retransmits, before.Retransmits), Above(now.ResetsSent, before.ResetsSent),
        Above(now.ResetsReceived, before.ResetsReceived));

    private static TrafficTotals Max(TrafficTotals a, TrafficTotals b) => new(
        Math.Max(a.SentBytes, b.SentBytes), Math.Max(a.ReceivedBytes, b.ReceivedBytes), Math.Max(a.Retransmits, b.Retransmits),
        Math.Max(a.ResetsSent, b.ResetsSent), Math.Max(a.ResetsReceived, b.ResetsReceived));

    private static ulong Above(ulong now, ulong before) => now > before ? now - before : 0;
}
