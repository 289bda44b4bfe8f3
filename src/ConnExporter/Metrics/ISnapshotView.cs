using ConnExporter.Inventory;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Metrics;

/// <summary>
/// A collector in node_exporter's sense: turns one snapshot into metric families with bounded
/// label sets. Its <see cref="Name"/> is its flag (<c>--[no-]collector.&lt;name&gt;</c>).
/// </summary>
public interface ISnapshotView
{
    string Name { get; }

    /// <summary>One line for <c>--help</c>.</summary>
    string Description { get; }

    bool EnabledByDefault { get; }

    /// <summary>Needs socket owners (the /proc/&lt;pid&gt;/fd walk, the costly part).</summary>
    bool NeedsOwners { get; }

    /// <summary>
    /// Reads <see cref="Connection.Tcp"/> (struct tcp_info): only then does the netlink source
    /// ask the kernel for it: 3.3 times the bytes per socket, ≈ 10 ms more per dump at 40k sockets.
    /// </summary>
    bool NeedsTcpInfo => false;

    /// <summary>
    /// False for views fed by something else (the eBPF maps): they still write when the socket
    /// inventory failed, and are handed an empty snapshot.
    /// </summary>
    bool NeedsSnapshot => true;

    /// <summary>Writes this view's families. Throwing marks the collector failed for this scrape only.</summary>
    void Write(Snapshot snapshot, ExpositionWriter writer);
}
