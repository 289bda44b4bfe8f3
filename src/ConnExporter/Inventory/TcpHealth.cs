using System.Runtime.InteropServices;

namespace ConnExporter.Inventory;

/// <summary>
/// The essentials of the kernel's <c>struct tcp_info</c> (include/uapi/linux/tcp.h) for one socket.
/// Only the netlink source can provide it; the procfs source leaves it absent.
/// </summary>
/// <remarks>Packed to 4 bytes: 36 instead of 40, so that a <c>TcpHealth?</c> (how a snapshot keeps
/// it beside its sockets, absent where the kernel gave none) takes 40 bytes instead of 48. The two
/// 64-bit counters still fall on 8-byte boundaries inside a nullable in an array.</remarks>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public readonly record struct TcpHealth(
    uint RttMicros,
    uint RttVarMicros,
    uint Retransmits,       // tcpi_total_retrans: segments retransmitted over the socket's life
    uint Unacked,           // tcpi_unacked: segments in flight
    uint SendMss,           // tcpi_snd_mss: to turn segments in flight into bytes
    ulong BytesAcked,       // tcpi_bytes_acked
    ulong BytesReceived)    // tcpi_bytes_received
{
    /// <summary>Approximate bytes in flight: unacknowledged segments times the send MSS.</summary>
    public ulong BytesInFlight => (ulong)Unacked * SendMss;
}
