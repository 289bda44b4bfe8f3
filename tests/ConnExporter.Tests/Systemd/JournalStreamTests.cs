using System.Diagnostics;
using ConnExporter.Systemd;

namespace ConnExporter.Tests.Systemd;

public sealed class JournalStreamTests
{
    /// <summary>An open file's descriptor and its <c>st_dev:st_ino</c> as stat(1) prints them, which is systemd's format.</summary>
    private static (Microsoft.Win32.SafeHandles.SafeFileHandle Handle, string DevIno, string Path) OpenFile()
    {
        var path = Path.GetTempFileName();
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        var psi = new ProcessStartInfo("stat", ["-c", "%d:%i", path]) { RedirectStandardOutput = true };
        using var stat = Process.Start(psi)!;
        var devIno = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        Assert.Equal(0, stat.ExitCode);
        return (handle, devIno, path);
    }

    [Fact]
    public void MatchesTheDescriptorTheVariableNames()
    {
        var (handle, devIno, path) = OpenFile();
        try
        {
            int fd = (int)handle.DangerousGetHandle();
            Assert.True(JournalStream.TryIdentify(fd, out ulong dev, out ulong ino));
            Assert.Equal(devIno, $"{dev}:{ino}");
            Assert.True(JournalStream.Matches(devIno, fd));

            var other = devIno.Split(':');
            Assert.False(JournalStream.Matches($"{other[0]}:{ulong.Parse(other[1]) + 1}", fd));
            Assert.False(JournalStream.Matches($"{ulong.Parse(other[0]) + 1}:{other[1]}", fd));
        }
        finally
        {
            handle.Dispose();
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData(":5")]
    [InlineData("5:")]
    [InlineData("a:b")]
    [InlineData("-1:5")]
    public void MalformedOrMissingIsNotTheJournal(string? variable) => Assert.False(JournalStream.Matches(variable, 2));

    [Fact]
    public void AClosedDescriptorIsNotTheJournal() => Assert.False(JournalStream.Matches("1:1", 1_000_000));

    [Theory]
    [InlineData(8u, 3u, 0x803UL)]                // sda3
    [InlineData(0x1001u, 0xfu, 0x10000000010fUL)] // a major above 0xfff spills above bit 32
    [InlineData(0u, 0x12345u, 0x12300045UL)]      // a minor above 0xff spills above bit 20
    public void DeviceNumbersUseGlibcEncoding(uint major, uint minor, ulong expected) =>
        Assert.Equal(expected, JournalStream.MakeDev(major, minor));
}
