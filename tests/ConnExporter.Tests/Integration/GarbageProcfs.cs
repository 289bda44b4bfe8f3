using System.Text;

namespace ConnExporter.Tests.Integration;

/// <summary>
/// A <c>--path.procfs</c> directory made in the test (nothing of it is committed: one file holds
/// a 10 MB line) whose every file the exporter reads is partly garbage: random bytes, a 10 MB
/// line, NUL bytes inside rows, rows cut mid-field without a newline at the end of the file;
/// and processes whose <c>stat</c>, <c>cgroup</c> and comm are garbage too, as well as the
/// exporter's own <c>self/stat</c> and <c>self/limits</c>. Among the garbage sit a few valid rows
/// whose sockets must still be reported; <see cref="ExpectedMalformed"/> is derived from what
/// was written, by the rule the kernel's format gives (one row per line).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class GarbageProcfs : IDisposable
{
    public const int TenMegabytes = 10 * 1024 * 1024;

    /// <summary>The owner of the two valid IPv4 TCP sockets; its comm holds a NUL and a ')'.</summary>
    public const int EvilPid = 4242;
    public const string EvilComm = "ev\0l)x";

    /// <summary>Holds the IPv6 listener but its stat is random bytes: the socket stays unowned.</summary>
    public const int GarbageStatPid = 4243;

    /// <summary>Holds the UDP socket; its cgroup file is one 10 MB line.</summary>
    public const int HugeCgroupPid = 4245;
    public const string HugeCgroupComm = "hugecg";

    public const int ListenPort = 0x1F90;     // 8080, IPv4 listener (inode ListenInode)
    public const int Listen6Port = 0x1F91;    // 8081, IPv6 listener
    public const int Udp6Port = 0x14E9;       // 5353, IPv6 UDP
    public const ulong ListenInode = 900001, EstablishedInode = 900002, Listen6Inode = 900003, Udp6Inode = 900004;

    public string Root { get; }

    /// <summary>Rows the parser must skip and count, per table, from the bytes written.</summary>
    public int ExpectedMalformed { get; }

    public GarbageProcfs()
    {
        Root = Directory.CreateTempSubdirectory("cxg-procfs-").FullName;
        File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
        var random = new Random(1616); // fixed: a failure replays
        var net = Directory.CreateDirectory(Path.Combine(Root, "net")).FullName;
        const string header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

        // tcp: valid, random bytes (no newline among them), a valid row with a NUL inside the
        // inode, one 10 MB line, valid, and a last row cut mid-field without its newline.
        var tcp = new MemoryStream();
        Write(tcp, header);
        Write(tcp, Row4(0, "0100007F", ListenPort, "00000000", 0, "0A", ListenInode));
        tcp.Write(RandomBytesWithout(random, 4096, (byte)'\n'));
        Write(tcp, "\n");
        Write(tcp, Row4(2, "0100007F", ListenPort, "0100007F", 0xC350, "01", 9000).Replace("9000", "90\000", StringComparison.Ordinal));
        Write(tcp, "   3: ");
        tcp.Write(Encoding.ASCII.GetBytes(new string('A', TenMegabytes)));
        Write(tcp, "\n");
        Write(tcp, Row4(4, "0100007F", ListenPort, "0100007F", 0xC350, "01", EstablishedInode));
        Write(tcp, Row4(5, "0100007F", ListenPort, "0100007F", 0xC351, "01", 900009)[..40]);
        File.WriteAllBytes(Path.Combine(net, "tcp"), tcp.ToArray());
        int malformed = 4;

        // tcp6: a valid listener, and a row whose separators are NUL bytes instead of spaces.
        var listen6 = Row6(0, "00000000000000000000000000000000", Listen6Port, "0A", Listen6Inode);
        File.WriteAllText(Path.Combine(net, "tcp6"), header + listen6 + Row6(1, "00000000000000000000000001000000", 0x22B8, "0A", 900010).Replace(' ', '\0'));
        malformed += 1;

        // udp: nothing but random bytes, newlines included; every non-blank line is a bad row.
        var udp = RandomBytesWithout(random, 64 * 1024);
        File.WriteAllBytes(Path.Combine(net, "udp"), udp);
        malformed += NonBlankLines(udp);

        // udp6: a valid unconnected socket and a row cut mid-address at the end of the file.
        File.WriteAllText(Path.Combine(net, "udp6"),
            header + Row6(0, "00000000000000000000000001000000", Udp6Port, "07", Udp6Inode) + "   1: 0000000000000000000000");
        malformed += 1;
        ExpectedMalformed = malformed;

        // sockstat (only a size hint) is garbage with NULs.
        File.WriteAllBytes(Path.Combine(net, "sockstat"), [.. Encoding.ASCII.GetBytes("TCP: inuse \0\0 tw x\nUDP:"), .. RandomBytesWithout(random, 512)]);

        AddProcess(EvilPid, Stat(EvilPid, EvilComm), cgroup: [.. Encoding.ASCII.GetBytes("0::/system.slice/\0ev"), .. RandomBytesWithout(random, 300)],
            ("3", $"socket:[{ListenInode}]"), ("4", $"socket:[{EstablishedInode}]"), ("5", "socket:[garbage]"), ("6", "socket:["));
        AddProcess(GarbageStatPid, RandomBytesWithout(random, 700), cgroup: Encoding.ASCII.GetBytes("0::/\n"),
            ("3", $"socket:[{Listen6Inode}]"));
        AddProcess(HugeCgroupPid, Stat(HugeCgroupPid, HugeCgroupComm), cgroup: Encoding.ASCII.GetBytes("0::/" + new string('c', TenMegabytes)),
            ("7", $"socket:[{Udp6Inode}]"));
        // A pid directory whose stat is cut before the comm's end.
        AddProcess(4246, Encoding.ASCII.GetBytes("4246 (trunc"), cgroup: [], ("3", $"socket:[{ListenInode}]"));

        // The exporter's own process metrics read self/: garbage there too.
        var self = Directory.CreateDirectory(Path.Combine(Root, "self")).FullName;
        Directory.CreateDirectory(Path.Combine(self, "fd"));
        File.WriteAllBytes(Path.Combine(self, "stat"), [.. Encoding.ASCII.GetBytes("1 (x) S \0 1"), .. RandomBytesWithout(random, 200, (byte)')')]);
        File.WriteAllText(Path.Combine(self, "limits"), "Max open files\nMax open files  \0\0 junk\n");
    }

    private void AddProcess(int pid, byte[] stat, byte[] cgroup, params (string Fd, string Target)[] fds)
    {
        var dir = Path.Combine(Root, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(Path.Combine(dir, "fd"));
        File.WriteAllBytes(Path.Combine(dir, "stat"), stat);
        File.WriteAllBytes(Path.Combine(dir, "cgroup"), cgroup);
        File.CreateSymbolicLink(Path.Combine(dir, "exe"), "/usr/bin/fake");
        foreach (var (fd, target) in fds) File.CreateSymbolicLink(Path.Combine(dir, "fd", fd), target);
    }

    private static byte[] Stat(int pid, string comm) =>
        Encoding.UTF8.GetBytes($"{pid} ({comm}) S 1 {pid} {pid} 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 4242 1000 10 18446744073709551615 0 0\n");

    private static string Row4(int slot, string local, int localPort, string remote, int remotePort, string state, ulong inode) =>
        $"{slot,4}: {local}:{localPort:X4} {remote}:{remotePort:X4} {state} 00000000:00000000 00:00000000 00000000     0        0 {inode} 1 0000000000000000 100 0 0 10 0\n";

    private static string Row6(int slot, string local, int localPort, string state, ulong inode) =>
        $"{slot,4}: {local}:{localPort:X4} 00000000000000000000000000000000:0000 {state} 00000000:00000000 00:00000000 00000000     0        0 {inode} 1 0000000000000000 100 0 0 10 0\n";

    private static byte[] RandomBytesWithout(Random random, int count, params byte[] excluded)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        for (int i = 0; i < bytes.Length; i++)
            while (Array.IndexOf(excluded, bytes[i]) >= 0) bytes[i] = (byte)random.Next(256);
        return bytes;
    }

    /// <summary>Lines with anything but spaces: each is a row (a last one without newline too).</summary>
    private static int NonBlankLines(byte[] content) =>
        content.AsSpan().ToArray().Aggregate(new List<List<byte>> { new() }, (lines, b) =>
        {
            if (b == '\n') lines.Add([]);
            else lines[^1].Add(b);
            return lines;
        }).Count(line => line.Any(b => b != ' '));

    private static void Write(Stream stream, string text) => stream.Write(Encoding.ASCII.GetBytes(text));

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
