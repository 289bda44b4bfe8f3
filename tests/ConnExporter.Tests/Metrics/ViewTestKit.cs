using System.Buffers;
using System.Text;
using ConnExporter.Inventory;
using ConnExporter.Metrics;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Tests.Metrics;

/// <summary>Builds snapshots by hand and renders views to text, for view unit tests.</summary>
internal static class ViewTestKit
{
    public static Connection Conn(SocketProtocol protocol, SocketState state, string local, ushort localPort,
        string remote = "0.0.0.0", ushort remotePort = 0, string iface = "eth0", Direction direction = Direction.Outgoing,
        string? process = null, string? unit = null, TcpHealth? tcp = null, uint rq = 0, uint wq = 0)
    {
        var l = InetAddress.Parse(local);
        var socket = new SocketRecord(protocol, l.Family, state, new(l, localPort), new(InetAddress.Parse(remote), remotePort),
            0, process is null ? 0UL : 1UL, 0, 0, rq, wq);
        IReadOnlyList<ProcessInfo> owners = process is null ? [] : [new ProcessInfo(1, 1, process, null, unit, null)];
        return new Connection(socket, iface, direction, owners, tcp);
    }

    public static Snapshot Snapshot(params Connection[] connections) =>
        new(connections, new SnapshotStats("netlink", 0, 0, 0, true, 0), DateTimeOffset.UnixEpoch);

    public static string Render(ISnapshotView view, Snapshot snapshot, ExpositionFormat format = ExpositionFormat.PrometheusText004)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new ExpositionWriter(buffer, format);
        view.Write(snapshot, writer);
        writer.Finish();
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static List<Tests.Infrastructure.ScrapedSample> Samples(ISnapshotView view, Snapshot snapshot) =>
        Tests.Infrastructure.ScrapedSample.Parse(Render(view, snapshot));
}
