using ConnExporter.Systemd;

namespace ConnExporter.Tests.Systemd;

public sealed class WatchdogSettingsTests
{
    [Fact]
    public void IntervalInMicroseconds() =>
        Assert.Equal(TimeSpan.FromMilliseconds(400), WatchdogSettings.Parse("400000", null, 7));

    [Fact]
    public void PidMustBeOurs()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), WatchdogSettings.Parse("30000000", "7", 7));
        Assert.Null(WatchdogSettings.Parse("30000000", "8", 7));
        Assert.Null(WatchdogSettings.Parse("30000000", "seven", 7));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1s")]
    public void NoWatchdogWithoutAPositiveInterval(string? usec) => Assert.Null(WatchdogSettings.Parse(usec, null, 7));
}
