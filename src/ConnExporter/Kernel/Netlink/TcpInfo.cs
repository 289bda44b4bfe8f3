using ConnExporter.Inventory;

namespace ConnExporter.Kernel.Netlink;

/// <summary>
/// Reads the fields <see cref="TcpHealth"/> needs from <c>struct tcp_info</c>
/// (include/uapi/linux/tcp.h), as the INET_DIAG_INFO attribute carries it. The struct only
/// grows: older kernels send a shorter one, so each field is read only when present.
/// </summary>
internal static class TcpInfo
{
    // Byte offsets in struct tcp_info: 8 single-byte fields, then __u32 tcpi_rto at 8, ...
    public const int SendMssOffset = 16;       // tcpi_snd_mss
    public const int UnackedOffset = 24;       // tcpi_unacked
    public const int RttOffset = 68;           // tcpi_rtt (microseconds)
    public const int RttVarOffset = 72;        // tcpi_rttvar
    public const int TotalRetransOffset = 100; // tcpi_total_retrans, the end of the 2.6-era struct
    public const int BytesAckedOffset = 120;   // __u64 tcpi_bytes_acked (Linux 4.1)
    public const int BytesReceivedOffset = 128; // __u64 tcpi_bytes_received (Linux 4.1)

    /// <summary>Without the RTT there is nothing worth reporting.</summary>
    public const int MinimumLength = RttVarOffset + 4;

    /// <summary>Parses the attribute payload; false when it is too short to hold the RTT.
    /// Fields past the end of a shorter struct are 0.</summary>
    public static bool TryParse(ReadOnlySpan<byte> info, out TcpHealth health)
    {
        if (info.Length < MinimumLength)
        {
            health = default;
            return false;
        }
        health = new TcpHealth(
            RttMicros: HostOrder.ReadUInt32(info[RttOffset..]),
            RttVarMicros: HostOrder.ReadUInt32(info[RttVarOffset..]),
            Retransmits: ReadUInt32(info, TotalRetransOffset),
            Unacked: HostOrder.ReadUInt32(info[UnackedOffset..]),
            SendMss: HostOrder.ReadUInt32(info[SendMssOffset..]),
            BytesAcked: ReadUInt64(info, BytesAckedOffset),
            BytesReceived: ReadUInt64(info, BytesReceivedOffset));
        return true;
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> info, int offset) =>
        info.Length >= offset + 4 ? HostOrder.ReadUInt32(info[offset..]) : 0;

    private static ulong ReadUInt64(ReadOnlySpan<byte> info, int offset) =>
        info.Length >= offset + 8 ? HostOrder.ReadUInt64(info[offset..]) : 0;
}
