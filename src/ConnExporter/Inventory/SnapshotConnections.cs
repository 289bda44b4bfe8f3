using System.Collections;
using System.Runtime.InteropServices;

namespace ConnExporter.Inventory;

/// <summary>
/// The connections of a snapshot, stored as parallel arrays: the records the source read
/// (owned, not copied), their tcp_info when it was asked for, and their compact
/// <see cref="SocketEnrichment"/>. A <see cref="Connection"/> is assembled when read, so a
/// snapshot of 40k sockets costs one record list and a 40-byte entry per socket (and 40 bytes of
/// tcp_info when asked) instead of a second, 152-byte copy of each.
/// </summary>
/// <remarks>Enumerate with <c>foreach</c> on this type (not through the interface) to use the
/// struct enumerator, which allocates nothing.</remarks>
public sealed class SnapshotConnections : IReadOnlyList<Connection>
{
    private readonly List<SocketRecord> _records;

    // Null unless tcp_info was asked for (only the tcpinfo view and the connections command read it).
    // Kept as TcpHealth? because "the kernel gave none" must survive (JSON leaves tcp_info out, the
    // tcpinfo view skips the socket): TcpHealth is packed so that its nullable costs 40 bytes, as
    // much as a bare TcpHealth, where a separate list of flags would add a byte and a second list
    // to keep in step.
    private readonly List<TcpHealth?>? _tcp;
    private readonly SocketEnrichment[] _enrichment;

    // Sparse: only translated connections (destination NAT) have one, usually few of many, so a
    // map by index costs nothing per untranslated socket. Null when conntrack was not read.
    private readonly Dictionary<int, InetEndpoint>? _actualRemotes;

    /// <param name="tcp">Each record's tcp_info at the same index; null when not asked for.</param>
    /// <param name="actualRemotes">The real destination of translated connections by index.</param>
    internal SnapshotConnections(List<SocketRecord> records, List<TcpHealth?>? tcp, SocketEnrichment[] enrichment,
        Dictionary<int, InetEndpoint>? actualRemotes = null)
    {
        if (enrichment.Length != records.Count)
            throw new ArgumentException($"{enrichment.Length} enrichments for {records.Count} records", nameof(enrichment));
        if (tcp is not null && tcp.Count != records.Count)
            throw new ArgumentException($"{tcp.Count} tcp_info entries for {records.Count} records", nameof(tcp));
        _records = records;
        _tcp = tcp;
        _enrichment = enrichment;
        _actualRemotes = actualRemotes is { Count: > 0 } ? actualRemotes : null;
    }

    /// <summary>Splits ready-made connections (tests, other producers) into the same layout.</summary>
    public static SnapshotConnections From(IReadOnlyList<Connection> connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        if (connections is SnapshotConnections same) return same;
        var records = new List<SocketRecord>(connections.Count);
        List<TcpHealth?>? tcp = null;
        var enrichment = new SocketEnrichment[connections.Count];
        Dictionary<int, InetEndpoint>? actual = null;
        for (int i = 0; i < connections.Count; i++)
        {
            var c = connections[i];
            records.Add(c.Socket);
            // A tcp_info list only once some connection has tcp_info, null for those before it.
            if (c.Tcp is not null && tcp is null)
            {
                tcp = new List<TcpHealth?>(connections.Count);
                CollectionsMarshal.SetCount(tcp, i); // a new list's array is zeroed: all null
            }
            tcp?.Add(c.Tcp);
            enrichment[i] = new SocketEnrichment(c.Interface, c.Owners, c.Direction, c.Namespace, c.Container);
            if (c.ActualRemote is { } real) (actual ??= [])[i] = real;
        }
        return new SnapshotConnections(records, tcp, enrichment, actual);
    }

    public int Count => _records.Count;

    public Connection this[int index]
    {
        get
        {
            var e = _enrichment[index];
            InetEndpoint? actual = _actualRemotes is not null && _actualRemotes.TryGetValue(index, out var real) ? real : null;
            return new Connection(_records[index], e.Interface, e.Direction, e.Owners, _tcp?[index], e.Namespace, e.Container, actual);
        }
    }

    /// <summary>The sockets alone, for views that need no enrichment.</summary>
    public ReadOnlySpan<SocketRecord> Sockets => CollectionsMarshal.AsSpan(_records);

    /// <summary>The host namespace's sockets alone: a snapshot lists them first.</summary>
    public ReadOnlySpan<SocketRecord> HostSockets => CollectionsMarshal.AsSpan(_records)[..HostCount];

    /// <summary>How many of the first records are the host namespace's.</summary>
    public int HostCount
    {
        get
        {
            if (_hostCount >= 0) return _hostCount;
            int n = 0;
            while (n < _enrichment.Length && (_enrichment[n].Namespace?.IsHost ?? true)) n++;
            return _hostCount = n;
        }
    }

    private int _hostCount = -1;

    /// <summary>Whether the snapshot keeps tcp_info at all (it was asked for, or given).</summary>
    internal bool HasTcpInfo => _tcp is not null;

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<Connection> IEnumerable<Connection>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public struct Enumerator : IEnumerator<Connection>
    {
        private readonly SnapshotConnections _owner;
        private int _index;

        internal Enumerator(SnapshotConnections owner)
        {
            _owner = owner;
            _index = -1;
        }

        public readonly Connection Current => _owner[_index];

        readonly object IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < _owner.Count;

        public void Reset() => _index = -1;

        public readonly void Dispose()
        {
        }
    }
}
