using System.Text.Json;
using ConnExporter.Logging;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Tests.Logging;

public sealed class StderrLoggerJournalTests
{
    private static string[] Lines(LogFormat format, bool journal, Action<ILogger> log)
    {
        var output = new StringWriter();
        using (var provider = new StderrLoggerProvider(format, LogLevel.Debug, output, journal))
            log(provider.CreateLogger("ConnExporter.Systemd"));
        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Theory]
    [InlineData(LogLevel.Debug, "<7>level=debug")]
    [InlineData(LogLevel.Information, "<6>level=info")]
    [InlineData(LogLevel.Warning, "<4>level=warn")]
    [InlineData(LogLevel.Error, "<3>level=error")]
    [InlineData(LogLevel.Critical, "<2>level=error")]
    public void JournalLinesStartWithTheSyslogPriorityAndCarryNoTime(LogLevel level, string start)
    {
        var lines = Lines(LogFormat.Logfmt, journal: true, l => l.Log(level, "reloading: {Components}", "interfaces, web config"));
        Assert.Equal($"{start} source=Systemd msg=\"reloading: interfaces, web config\" Components=\"interfaces, web config\"", Assert.Single(lines));
    }

    [Fact]
    public void JsonInTheJournalIsPrefixedTooAndStillJson()
    {
        var line = Assert.Single(Lines(LogFormat.Json, journal: true, l => l.LogWarning("watchdog: {State}", "quiet")));
        Assert.StartsWith("<4>{", line, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(line[3..]);
        Assert.Equal("warn", json.RootElement.GetProperty("level").GetString());
        Assert.Equal("watchdog: quiet", json.RootElement.GetProperty("msg").GetString());
        Assert.False(json.RootElement.TryGetProperty("time", out _));
    }

    [Fact]
    public void ATerminalGetsTimeAndNoPrefix()
    {
        var line = Assert.Single(Lines(LogFormat.Logfmt, journal: false, l => l.LogWarning("x")));
        Assert.Matches(@"^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=warn source=Systemd msg=x$", line);
    }

    [Fact]
    public void MultiLineMessagesStayOneJournalLine()
    {
        var line = Assert.Single(Lines(LogFormat.Logfmt, journal: true, l => l.LogError("first\nsecond")));
        Assert.Equal("<3>level=error source=Systemd msg=\"first\\nsecond\"", line);
    }

    [Theory]
    [InlineData(LogLevel.Information, 2)]
    [InlineData(LogLevel.Debug, 3)]
    public void FrameworkChatterOnlyFromWarningsUnlessDebugging(LogLevel minimum, int expected)
    {
        var output = new StringWriter();
        using (var provider = new StderrLoggerProvider(LogFormat.Logfmt, minimum, output, journal: true))
        {
            var hosting = provider.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics");
            hosting.LogInformation("Request starting");
            hosting.LogWarning("slow request");
            provider.CreateLogger("ConnExporter.Systemd").LogInformation("reloaded");
        }
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expected, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("<4>", StringComparison.Ordinal) && l.Contains("slow request", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("msg=reloaded", StringComparison.Ordinal));
    }
}
