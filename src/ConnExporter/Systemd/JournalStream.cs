using System.Buffers.Binary;
using System.Globalization;

namespace ConnExporter.Systemd;

/// <summary>
/// Whether a descriptor is the journal's stream socket: systemd sets <c>JOURNAL_STREAM</c> to
/// <c>device:inode</c> of the stream it connects stdout/stderr to (systemd.exec(5)), so a
/// match means our lines go to journald — which then reads a leading <c>&lt;N&gt;</c> as the
/// syslog priority and timestamps each line itself. A descriptor redirected elsewhere (a
/// pipe, a file) no longer matches, as intended.
/// </summary>
public static class JournalStream
{
    public const string Variable = "JOURNAL_STREAM";
    public const int StandardError = 2;

    // statx(2) arguments and struct statx offsets (include/uapi/linux/fcntl.h, stat.h).
    private const int AtEmptyPath = 0x1000;
    private const uint StatxIno = 0x100;
    private const int InoOffset = 32;       // __u64 stx_ino
    private const int DevMajorOffset = 136; // __u32 stx_dev_major
    private const int DevMinorOffset = 140; // __u32 stx_dev_minor
    private const int StatxSize = 256;

    /// <summary>Whether stderr is the journal.</summary>
    public static bool IsStandardErrorJournal() =>
        Matches(Environment.GetEnvironmentVariable(Variable), StandardError);

    /// <summary>Whether <paramref name="fd"/> is the stream <paramref name="variable"/> names.</summary>
    public static bool Matches(string? variable, int fd)
    {
        if (!TryParse(variable, out ulong device, out ulong inode)) return false;
        return TryIdentify(fd, out ulong actualDevice, out ulong actualInode)
               && actualDevice == device && actualInode == inode;
    }

    /// <summary>Parses <c>device:inode</c>, both decimal as systemd prints them.</summary>
    public static bool TryParse(string? variable, out ulong device, out ulong inode)
    {
        device = inode = 0;
        if (string.IsNullOrEmpty(variable)) return false;
        int colon = variable.IndexOf(':', StringComparison.Ordinal);
        return colon > 0
               && ulong.TryParse(variable.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out device)
               && ulong.TryParse(variable.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out inode);
    }

    /// <summary>The <c>st_dev</c> (glibc's makedev encoding, which systemd prints) and inode of <paramref name="fd"/>.</summary>
    public static unsafe bool TryIdentify(int fd, out ulong device, out ulong inode)
    {
        device = inode = 0;
        byte* buffer = stackalloc byte[StatxSize];
        byte empty = 0;
        if (Interop.Statx(fd, &empty, AtEmptyPath, StatxIno, buffer) != 0) return false;
        var stat = new ReadOnlySpan<byte>(buffer, StatxSize);
        inode = BinaryPrimitives.ReadUInt64LittleEndian(stat[InoOffset..]);
        uint major = BinaryPrimitives.ReadUInt32LittleEndian(stat[DevMajorOffset..]);
        uint minor = BinaryPrimitives.ReadUInt32LittleEndian(stat[DevMinorOffset..]);
        if (!BitConverter.IsLittleEndian)
        {
            inode = BinaryPrimitives.ReverseEndianness(inode);
            major = BinaryPrimitives.ReverseEndianness(major);
            minor = BinaryPrimitives.ReverseEndianness(minor);
        }
        device = MakeDev(major, minor);
        return true;
    }

    /// <summary>glibc's <c>gnu_dev_makedev</c> (sys/sysmacros.h).</summary>
    internal static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0x00000fffu) << 8) | ((ulong)(major & 0xfffff000u) << 32)
        | (minor & 0x000000ffu) | ((ulong)(minor & 0xffffff00u) << 12);
}
