using System.Text;
using ConnExporter.Kernel.ProcFs;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Kernel.ProcFs;

public class ProcPidStatTests
{
    // Fields 3..21 then starttime (22) and a few more, as do_task_stat prints them.
    private const string Middle = "S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0";

    [Theory]
    [InlineData("nginx", 98765UL)]
    [InlineData("a) b (c", 42UL)]
    [InlineData("x\"y\\z", 7UL)]
    [InlineData("(sd-pam)", 123UL)]
    [InlineData("kworker/0:1H", 18446744073709551615UL)]
    [InlineData(" ", 1UL)]
    [InlineData("", 5UL)]
    [InlineData(")))", 9UL)]
    public void Comm_and_start_time_survive_hostile_names(string comm, ulong startTime)
    {
        var line = Encoding.UTF8.GetBytes($"1234 ({comm}) {Middle} {startTime} 44367872 3451 18446744073709551615 1 1 0\n");

        Assert.True(ProcPidStat.TryParse(line, out var stat));
        Assert.Equal(comm, Encoding.UTF8.GetString(stat.Comm));
        Assert.Equal(startTime, stat.StartTime);
    }

    [Fact]
    public void Invalid_utf8_comm_is_kept_as_bytes()
    {
        byte[] comm = [0xff, 0xfe, (byte)')', (byte)' ', 0xc3];
        byte[] line = [.. "77 ("u8, .. comm, .. ") "u8, .. Encoding.ASCII.GetBytes(Middle), .. " 31337 0\n"u8];

        Assert.True(ProcPidStat.TryParse(line, out var stat));
        Assert.Equal(comm, stat.Comm.ToArray());
        Assert.Equal(31337UL, stat.StartTime);
    }

    [Fact]
    public void Real_kernel_line_parses()
    {
        var content = File.ReadAllBytes(TestEnvironment.Fixture("ProcFs", "stat-pid1"));

        Assert.True(ProcPidStat.TryParse(content, out var stat));
        Assert.Equal("process_api", Encoding.UTF8.GetString(stat.Comm));
        Assert.Equal(24UL, stat.StartTime);
    }

    [Fact]
    public void Own_stat_parses_with_the_comm_of_proc_comm()
    {
        var content = File.ReadAllBytes("/proc/self/stat");
        var comm = File.ReadAllText("/proc/self/comm").TrimEnd('\n');

        Assert.True(ProcPidStat.TryParse(content, out var stat));
        Assert.Equal(comm, Encoding.UTF8.GetString(stat.Comm));
        Assert.True(stat.StartTime > 0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1234 nginx S 1 2 3")]                     // no parentheses
    [InlineData("1234 (nginx S 1 2 3")]                    // no closing parenthesis
    [InlineData("(nginx) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 5 0")] // no pid
    [InlineData("x1 (nginx) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 5 0")] // bad pid
    [InlineData("1234 (nginx) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0")]  // ends before field 22
    [InlineData("1234 (nginx) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0\n5 0")] // newline inside
    [InlineData("1234 (nginx) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 -5 0")] // negative start
    [InlineData("1234 (nginx) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 99999999999999999999 0")] // overflow
    [InlineData("1234 (nginx)S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 5 0")] // no space after comm
    [InlineData("1234 (nginx) S 1 1234 1234  0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 5 0")] // empty field
    public void Malformed_lines_are_rejected(string line)
    {
        Assert.False(ProcPidStat.TryParse(Encoding.UTF8.GetBytes(line), out _));
    }
}
