namespace ConnExporter.Inventory;

/// <summary>
/// The essentials of the kernel's <c>struct tcp_info</c> (include/uapi/linux/tcp.h) for one socket.
/// Only the netlink source can provide it; the procfs source leaves it absent.
/// </summary>
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
