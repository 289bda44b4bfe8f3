using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Integration;

/// <summary>Bad flags fail at start with one line naming the problem, and a non-zero exit.</summary>
public sealed class CommandLineErrorTests
{
    [Theory]
    [InlineData("--collector.source=bogus", "--collector.source")]
    [InlineData("--output=xml", "--output")]
    [InlineData("--port=70000", "--port")]
    [InlineData("--state=ESTAB", "--state")]
    [InlineData("--path.procfs=/nonexistent", "--path.procfs")]
    [InlineData("--frobnicate", "--frobnicate")]
    public void BadFlagIsOneLineAndExitTwo(string flag, string named)
    {
        var result = ExporterProcess.Run(null, "connections", flag);
        Assert.Equal(2, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("conn-exporter: error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(named, lines[0], StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }
}
