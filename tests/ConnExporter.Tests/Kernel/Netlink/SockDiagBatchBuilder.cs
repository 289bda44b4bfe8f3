using System.Buffers.Binary;
using System.Net;

namespace ConnExporter.Tests.Kernel.Netlink;

/// <summary>
/// Builds netlink batches byte by byte as the kernel lays them out (include/uapi/linux/netlink.h,
/// inet_diag.h, tcp.h), independently of the parser under test. Host-order fields are written
/// little-endian: the suite runs on x86-64 and arm64.
/// </summary>
internal sealed class SockDiagBatchBuilder
{
    public const ushort SockDiagByFamily = 20;
    public const ushort NlmsgError = 2;
    public const ushort NlmsgDone = 3;
    public const ushort NlmsgNoop = 1;
    public const ushort NlmFMulti = 2;

    private readonly List<byte> _bytes = [];

    public byte[] ToArray() => [.. _bytes];

    /// <summary>Appends one netlink message with a correct nlmsg_len and 4-byte padding.</summary>
    public SockDiagBatchBuilder Message(ushort type, uint sequence, ReadOnlySpan<byte> payload, bool pad = true)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)(16 + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), NlmFMulti);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), 4242);
        _bytes.AddRange(header);
        _bytes.AddRange(payload);
        if (pad)
        {
            while (_bytes.Count % 4 != 0) _bytes.Add(0);
        }
        return this;
    }

    public SockDiagBatchBuilder Raw(ReadOnlySpan<byte> bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public SockDiagBatchBuilder Done(uint sequence, int error = 0)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(payload, error);
        return Message(NlmsgDone, sequence, payload);
    }

    /// <summary>struct nlmsgerr: the negative errno, then the offending request's header.</summary>
    public SockDiagBatchBuilder Error(uint sequence, int error)
    {
        var payload = new byte[4 + 16];
        BinaryPrimitives.WriteInt32LittleEndian(payload, error);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), 72);
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(8), SockDiagByFamily);
        return Message(NlmsgError, sequence, payload);
    }

    public SockDiagBatchBuilder InetDiag(uint sequence, InetDiagFields fields, params (ushort Type, byte[] Payload)[] attributes) =>
        Message(SockDiagByFamily, sequence, InetDiagPayload(fields, attributes));

    /// <summary>struct inet_diag_msg (72 bytes) followed by rtattrs.</summary>
    public static byte[] InetDiagPayload(InetDiagFields f, params (ushort Type, byte[] Payload)[] attributes)
    {
        using var stream = new MemoryStream();
        var msg = new byte[72];
        msg[0] = f.Family;
        msg[1] = f.State;
        msg[2] = f.Timer;
        msg[3] = f.Retrans;
        BinaryPrimitives.WriteUInt16BigEndian(msg.AsSpan(4), f.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(msg.AsSpan(6), f.DestinationPort);
        IPAddress.Parse(f.Source).TryWriteBytes(msg.AsSpan(8, 16), out _);
        IPAddress.Parse(f.Destination).TryWriteBytes(msg.AsSpan(24, 16), out _);
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(40), f.Interface);
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(44), (uint)f.Cookie);
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(48), (uint)(f.Cookie >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(52), f.Expires);
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(56), f.ReceiveQueue);
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(60), f.SendQueue);
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(64), f.Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(msg.AsSpan(68), f.Inode);
        stream.Write(msg);
        foreach (var (type, payload) in attributes)
        {
            var header = new byte[4];
            BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)(4 + payload.Length));
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), type);
            stream.Write(header);
            stream.Write(payload);
            while (stream.Length % 4 != 0) stream.WriteByte(0);
        }
        return stream.ToArray();
    }

    /// <summary>A struct tcp_info of <paramref name="length"/> bytes (144 through tcpi_segs_in,
    /// 104 for a 2.6-era kernel); fields that do not fit are left out, as an old kernel would.</summary>
    public static byte[] TcpInfo(int length, uint sndMss, uint unacked, uint rtt, uint rttVar,
        uint totalRetrans, ulong bytesAcked, ulong bytesReceived)
    {
        var info = new byte[Math.Max(length, 144)];
        info[0] = 1; // tcpi_state
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(8), 204000);   // tcpi_rto
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(16), sndMss);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(20), 536);     // tcpi_rcv_mss
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(24), unacked);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(36), 99);      // tcpi_retrans (current, not total)
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(60), 65535);   // tcpi_pmtu
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(68), rtt);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(72), rttVar);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(80), 10);      // tcpi_snd_cwnd
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(100), totalRetrans);
        BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(104), ulong.MaxValue); // tcpi_pacing_rate
        BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(120), bytesAcked);
        BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(128), bytesReceived);
        BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(136), 77);     // tcpi_segs_out
        return info[..length];
    }
}

/// <summary>The fields of one inet_diag_msg, in host terms.</summary>
internal sealed record InetDiagFields(
    byte Family,
    byte State,
    string Source,
    ushort SourcePort,
    string Destination,
    ushort DestinationPort,
    byte Timer = 0,
    byte Retrans = 0,
    uint Interface = 0,
    ulong Cookie = 0,
    uint Expires = 0,
    uint ReceiveQueue = 0,
    uint SendQueue = 0,
    uint Uid = 0,
    uint Inode = 0);
