using System.Collections;
using System.Runtime.InteropServices;

namespace ConnExporter.Inventory;

/// <summary>
/// The connections of a snapshot, stored as two parallel arrays: the records the source read
/// (owned, not copied) and their compact <see cref="SocketEnrichment"/>. A
/// <see cref="Connection"/> is assembled when read, so a snapshot of 40k sockets costs one
/// record list and a 24-byte entry per socket instead of a second, 184-byte copy of each.
/// </summary>
/// <remarks>Enumerate with <c>foreach</c> on this type (not through the interface) to use the
/// struct enumerator, which allocates nothing.</remarks>
public sealed class SnapshotConnections : IReadOnlyList<Connection>
{
    private readonly List<SocketRecord> _records;
    private readonly SocketEnrichment[] _enrichment;

    internal SnapshotConnections(List<SocketRecord> records, SocketEnrichment[] enrichment)
    {
        if (enrichment.Length != records.Count)
            throw new ArgumentException($"{enrichment.Length} enrichments for {records.Count} records", nameof(enrichment));
        _records = records;
        _enrichment = enrichment;
    }

    /// <summary>Splits ready-made connections (tests, other producers) into the same layout.</summary>
    public static SnapshotConnections From(IReadOnlyList<Connection> connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        if (connections is SnapshotConnections same) return same;
        var records = new List<SocketRecord>(connections.Count);
        var enrichment = new SocketEnrichment[connections.Count];
        for (int i = 0; i < connections.Count; i++)
        {
            var c = connections[i];
            records.Add(c.Socket);
            enrichment[i] = new SocketEnrichment(c.Interface, c.Owners, c.Direction);
        }
        return new SnapshotConnections(records, enrichment);
    }

    public int Count => _records.Count;

    public Connection this[int index]
    {
        get
        {
            var e = _enrichment[index];
            return new Connection(_records[index], e.Interface, e.Direction, e.Owners);
        }
    }

    /// <summary>The sockets alone, for views that need no enrichment.</summary>
    public ReadOnlySpan<SocketRecord> Sockets => CollectionsMarshal.AsSpan(_records);

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
