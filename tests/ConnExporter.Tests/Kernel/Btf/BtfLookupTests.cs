using System.Text.RegularExpressions;
using ConnExporter.Kernel.Btf;
using ConnExporter.Tests.Kernel.Ebpf;

namespace ConnExporter.Tests.Kernel.Btf;

/// <summary>
/// The streaming BTF lookup against the running kernel's BTF, with bpftool's reading of the same
/// file as ground truth, and against files that are not whole BTF.
/// </summary>
public sealed partial class BtfLookupTests
{
    private const string Vmlinux = "/sys/kernel/btf/vmlinux";

    private static readonly (string Struct, string Member)[] Members =
    [
        ("task_struct", "tgid"), ("task_struct", "pid"), ("file", "f_inode"), ("inode", "i_mode"),
        ("inode", "i_ino"), ("sock_common", "skc_family"), ("bpf_iter__task_file", "fd"),
    ];

    /// <summary>Mapped (Linux 6.16+) and read through the buffer: the same answers.</summary>
    [EbpfToolchainTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Finds_what_bpftool_finds_in_the_kernels_btf(bool map)
    {
        var lookup = BtfLookup.Scan(Vmlinux, ["bpf_iter_task_file", "tcp_v4_connect"], Members, out string? problem, map);
        Assert.True(lookup is not null, problem);

        string dump = ConnEventsObjectTests.Run("bpftool", "btf", "dump", "file", Vmlinux, "format", "raw");
        Assert.Equal(FuncId(dump, "bpf_iter_task_file"), lookup.FunctionId("bpf_iter_task_file"));
        Assert.Equal(FuncId(dump, "tcp_v4_connect"), lookup.FunctionId("tcp_v4_connect"));
        foreach (var (s, m) in Members)
            Assert.Equal(MemberOffset(dump, s, m), lookup.MemberOffset(s, m));
        Assert.Equal(16, lookup.MemberOffset("bpf_iter__task_file", "fd"));
    }

    [Fact]
    public void Names_not_there_are_missing_not_guessed()
    {
        if (!File.Exists(Vmlinux)) Assert.Fail($"{Vmlinux} is missing: the kernel has no BTF");
        var lookup = BtfLookup.Scan(Vmlinux, ["no_such_function_here"], [("task_struct", "no_such_member"), ("no_such_struct", "pid")], out string? problem);
        Assert.True(lookup is not null, problem);
        Assert.Equal(0, lookup.FunctionId("no_such_function_here"));
        Assert.Equal(-1, lookup.MemberOffset("task_struct", "no_such_member"));
        Assert.Equal(-1, lookup.MemberOffset("no_such_struct", "pid"));
    }

    [Fact]
    public void A_file_that_is_not_btf_or_is_cut_short_is_a_problem_named_not_a_crash()
    {
        string dir = Directory.CreateTempSubdirectory("btf-").FullName;
        try
        {
            string text = Path.Combine(dir, "text");
            File.WriteAllText(text, "this is not BTF, though it is longer than a BTF header\n");
            Assert.Null(BtfLookup.Scan(text, ["f"], [], out string? problem));
            Assert.Contains("magic", problem);

            string cut = Path.Combine(dir, "cut");
            using (var source = File.OpenRead(Vmlinux))
            using (var target = File.Create(cut))
            {
                var head = new byte[64 * 1024];
                source.ReadExactly(head);
                target.Write(head);
            }
            Assert.Null(BtfLookup.Scan(cut, ["bpf_iter_task_file"], Members, out problem));
            Assert.Equal("type section cut short", problem);
            Assert.Null(BtfLookup.Scan(cut, ["bpf_iter_task_file"], Members, out problem, map: false));
            Assert.Equal("type section cut short", problem);

            Assert.Null(BtfLookup.Scan(Path.Combine(dir, "missing"), ["f"], [], out problem));
            Assert.Contains("cannot open", problem);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int FuncId(string dump, string name)
    {
        var m = Regex.Match(dump, $@"^\[(\d+)\] FUNC '{Regex.Escape(name)}' ", RegexOptions.Multiline);
        Assert.True(m.Success, $"bpftool shows no FUNC {name}");
        return int.Parse(m.Groups[1].Value);
    }

    /// <summary>The byte offset bpftool prints for a direct member of the first struct of that name with members.</summary>
    private static int MemberOffset(string dump, string structName, string member)
    {
        var s = Regex.Match(dump, $@"^\[\d+\] STRUCT '{Regex.Escape(structName)}' size=\d+ vlen=[1-9]\d*\n((?:\t.*\n)+)", RegexOptions.Multiline);
        Assert.True(s.Success, $"bpftool shows no struct {structName}");
        var m = Regex.Match(s.Groups[1].Value, $@"^\t'{Regex.Escape(member)}' type_id=\d+ bits_offset=(\d+)", RegexOptions.Multiline);
        Assert.True(m.Success, $"bpftool shows no member {member} in struct {structName}");
        return int.Parse(m.Groups[1].Value) / 8;
    }
}
