using ConnExporter.Systemd;
using ConnExporter.Tests.Inventory;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Tests.Systemd;

/// <summary>Pacing with real time: bounds are wide so a loaded machine does not fail them.</summary>
public sealed class WatchdogTests
{
    [Fact]
    public async Task PingsEveryHalfIntervalWhileHealthy()
    {
        using var receiver = new NotifyReceiver();
        using var notify = NotifySocket.Open(receiver.NotifySocketPath)!;
        var interval = WatchdogSettings.Parse("400000", null, 1)!.Value;
        await using (var watchdog = new Watchdog(notify, interval, () => null, new ListLogger()))
        {
            Assert.Equal(TimeSpan.FromMilliseconds(200), watchdog.PingEvery);
            watchdog.Start();
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        var messages = receiver.Drain(TimeSpan.FromMilliseconds(100));
        Assert.All(messages, m => Assert.Equal("WATCHDOG=1", m));
        Assert.InRange(messages.Count, 3, 8); // ~5 in one second
    }

    [Fact]
    public async Task SilentWhileUnhealthyAndSaysSoOnce()
    {
        using var receiver = new NotifyReceiver();
        using var notify = NotifySocket.Open(receiver.NotifySocketPath)!;
        var logger = new ListLogger();
        string? problem = "a collection has been running for 90s";
        await using var watchdog = new Watchdog(notify, TimeSpan.FromMilliseconds(100), () => Volatile.Read(ref problem), logger);
        watchdog.Start();

        Assert.True(await Eventually(() => logger.Entries.Count > 0), "the watchdog loop never ran");
        Assert.Empty(receiver.Drain(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(0, watchdog.Pings);
        var errors = logger.Entries.Where(e => e.Level == LogLevel.Error).ToList();
        Assert.Single(errors);
        Assert.Contains("running for 90s", errors[0].Message, StringComparison.Ordinal);

        Volatile.Write(ref problem, null);
        Assert.Equal("WATCHDOG=1", receiver.Next(TimeSpan.FromSeconds(5)));
        Assert.Contains(logger.Entries, e => e.Message.Contains("healthy again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AThrowingHealthCheckIsUnhealthy()
    {
        using var receiver = new NotifyReceiver();
        using var notify = NotifySocket.Open(receiver.NotifySocketPath)!;
        var logger = new ListLogger();
        await using var watchdog = new Watchdog(notify, TimeSpan.FromMilliseconds(100), () => throw new InvalidOperationException("boom"), logger);
        watchdog.Start();
        Assert.True(await Eventually(() => logger.Entries.Count > 0), "the watchdog loop never ran");
        Assert.Empty(receiver.Drain(TimeSpan.FromMilliseconds(300)));
        Assert.Contains(logger.Entries, e => e.Message.Contains("health check failed: boom", StringComparison.Ordinal));
    }

    /// <summary>Waits for a background loop to have run: tests in parallel can keep the thread pool busy.</summary>
    private static async Task<bool> Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(20);
        }
        return true;
    }
}
