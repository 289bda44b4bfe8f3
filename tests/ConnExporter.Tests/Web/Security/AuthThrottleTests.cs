using System.Net;
using ConnExporter.Web.Security;

namespace ConnExporter.Tests.Web.Security;

/// <summary>The throttle's rules on a clock the test moves: blocks, doubling, forgetting, the
/// bounded table, address keys.</summary>
public sealed class AuthThrottleTests
{
    private static readonly AuthThrottleConfig Config = new(3, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), 100, 1, TimeSpan.FromSeconds(1));
    private static readonly IPAddress Attacker = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress Other = IPAddress.Parse("192.0.2.8");

    /// <summary>A clock that moves only when told (no sleeping in unit tests).</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    private readonly ManualTime _time = new();

    private AuthThrottle NewThrottle() => new(_time);

    private static TimeSpan BlockLeft(AuthThrottle throttle, IPAddress client, AuthThrottleConfig? config = null)
    {
        Assert.True(throttle.IsBlocked(client, config ?? Config, out var left), $"{client} should be blocked");
        return left;
    }

    [Fact]
    public void BlocksAtTheThresholdForOneWindowAndOnlyThatAddress()
    {
        var throttle = NewThrottle();
        for (int i = 0; i < Config.Failures - 1; i++)
        {
            throttle.RecordFailure(Attacker, Config);
            Assert.False(throttle.IsBlocked(Attacker, Config, out _));
        }
        throttle.RecordFailure(Attacker, Config);
        Assert.Equal(Config.Window, BlockLeft(throttle, Attacker));
        Assert.False(throttle.IsBlocked(Other, Config, out _));

        _time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(TimeSpan.FromSeconds(15), BlockLeft(throttle, Attacker));
        _time.Advance(TimeSpan.FromSeconds(15));
        Assert.False(throttle.IsBlocked(Attacker, Config, out _));
    }

    [Fact]
    public void FailuresSpreadOverMoreThanAWindowDoNotBlock()
    {
        var throttle = NewThrottle();
        for (int i = 0; i < 10; i++)
        {
            throttle.RecordFailure(Attacker, Config);
            _time.Advance(TimeSpan.FromSeconds(31));
        }
        Assert.False(throttle.IsBlocked(Attacker, Config, out _));
    }

    [Fact]
    public void EachFailureAfterABlockDoublesTheNextUpToMaxBlock()
    {
        var throttle = NewThrottle();
        for (int i = 0; i < Config.Failures; i++) throttle.RecordFailure(Attacker, Config);
        var expected = new[] { 1, 2, 4, 5, 5 };
        foreach (int minutes in expected)
        {
            var left = BlockLeft(throttle, Attacker);
            Assert.Equal(TimeSpan.FromMinutes(minutes), left);
            // Attempts while blocked are not failures (they never reach bcrypt) and change nothing.
            _time.Advance(left);
            Assert.False(throttle.IsBlocked(Attacker, Config, out _));
            // One failure after the block is enough for the next, longer one.
            throttle.RecordFailure(Attacker, Config);
        }
    }

    [Fact]
    public void AQuietAddressIsForgottenAndASuccessForgetsAtOnce()
    {
        var throttle = NewThrottle();
        for (int i = 0; i < Config.Failures; i++) throttle.RecordFailure(Attacker, Config);
        _time.Advance(Config.Window + Config.MaxBlock + TimeSpan.FromSeconds(1));
        // Forgotten: a fresh allowance, not an immediate doubled block.
        throttle.RecordFailure(Attacker, Config);
        Assert.False(throttle.IsBlocked(Attacker, Config, out _));

        throttle.RecordFailure(Attacker, Config);
        throttle.RecordSuccess(Attacker);
        Assert.Equal(0, throttle.Count);
        throttle.RecordFailure(Attacker, Config);
        throttle.RecordFailure(Attacker, Config);
        Assert.False(throttle.IsBlocked(Attacker, Config, out _));
    }

    [Fact]
    public void FailuresZeroTurnsItOff()
    {
        var off = Config with { Failures = 0 };
        var throttle = NewThrottle();
        for (int i = 0; i < 50; i++) throttle.RecordFailure(Attacker, off);
        Assert.False(throttle.IsBlocked(Attacker, off, out _));
        Assert.Equal(0, throttle.Count);
    }

    [Fact]
    public void TheTableStaysWithinMaxAddressesAndKeepsBlockedOnesLongest()
    {
        var throttle = NewThrottle();
        for (int i = 0; i < Config.Failures; i++) throttle.RecordFailure(Attacker, Config);
        for (int i = 0; i < 10_000; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            throttle.RecordFailure(new IPAddress([10, 77, (byte)(i >> 8), (byte)i]), Config);
            Assert.True(throttle.Count <= Config.MaxAddresses, $"{throttle.Count} entries after {i + 1} addresses");
        }
        Assert.Equal(Config.MaxAddresses, throttle.Count);
        // 10,000 one-failure addresses pushed each other out, not the blocked one.
        Assert.True(throttle.IsBlocked(Attacker, Config, out _));

        // A reload with a smaller table trims it at the next new address.
        var smaller = Config with { MaxAddresses = 10 };
        throttle.RecordFailure(IPAddress.Parse("198.51.100.1"), smaller);
        Assert.Equal(10, throttle.Count);
        Assert.True(throttle.IsBlocked(Attacker, smaller, out _));
    }

    [Fact]
    public void ExpiredEntriesGoFirstWhenTheTableIsFull()
    {
        var small = Config with { MaxAddresses = 4 };
        var throttle = NewThrottle();
        for (int i = 0; i < 4; i++) throttle.RecordFailure(new IPAddress([10, 0, 0, (byte)i]), small);
        _time.Advance(small.Window + TimeSpan.FromSeconds(1));
        throttle.RecordFailure(Other, small);
        Assert.Equal(1, throttle.Count);
    }

    [Theory]
    [InlineData("192.0.2.1", "::ffff:192.0.2.1", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1", false)]
    [InlineData("192.0.2.1", "192.0.2.2", false)]
    [InlineData("0.0.0.1", "::1", false)]
    public void AddressesAreKeyedPerIPv4AddressAndPerIPv6Slash64(string a, string b, bool same)
    {
        Assert.Equal(same, AuthThrottle.KeyOf(IPAddress.Parse(a)) == AuthThrottle.KeyOf(IPAddress.Parse(b)));
    }

    [Fact]
    public void ABlockedAddressWaitsInAtMostItsOwnPlacesThenFloods()
    {
        var throttle = NewThrottle();
        for (int i = 0; i < Config.Failures; i++) throttle.RecordFailure(Attacker, Config);
        Assert.False(throttle.IsFlooding(Attacker, Config));
        for (int i = 0; i < AuthThrottle.MaxWaitingPerAddress; i++)
            Assert.True(throttle.TryStartWaiting(Attacker), $"place {i + 1}");
        Assert.False(throttle.TryStartWaiting(Attacker));
        Assert.True(throttle.IsFlooding(Attacker, Config));
        // Another address keeps its own places, and is not flooding unless blocked.
        Assert.True(throttle.TryStartWaiting(Other));
        Assert.False(throttle.IsFlooding(Other, Config));
        Assert.Equal(AuthThrottle.MaxWaitingPerAddress + 1, throttle.Waiting);

        throttle.StopWaiting(Attacker);
        Assert.False(throttle.IsFlooding(Attacker, Config));
        Assert.True(throttle.TryStartWaiting(Attacker));
        for (int i = 0; i < AuthThrottle.MaxWaitingPerAddress; i++) throttle.StopWaiting(Attacker);
        throttle.StopWaiting(Other);
        Assert.Equal(0, throttle.Waiting);
        // Giving back more than was taken changes nothing.
        throttle.StopWaiting(Attacker);
        Assert.Equal(0, throttle.Waiting);
        // The block over, a full set of waiting requests does not make it flood.
        for (int i = 0; i < AuthThrottle.MaxWaitingPerAddress; i++) Assert.True(throttle.TryStartWaiting(Attacker));
        _time.Advance(Config.Window);
        Assert.False(throttle.IsFlooding(Attacker, Config));
        Assert.False(throttle.IsFlooding(Attacker, Config with { Failures = 0 }));
    }

    [Fact]
    public void AllAddressesTogetherWaitInAtMostTheServersPlaces()
    {
        var throttle = NewThrottle();
        int taken = 0;
        for (int a = 0; taken < AuthThrottle.MaxWaiting; a++)
        {
            var client = new IPAddress([198, 51, (byte)(a / 250), (byte)(1 + a % 250)]);
            for (int i = 0; i < AuthThrottle.MaxWaitingPerAddress && taken < AuthThrottle.MaxWaiting; i++, taken++)
                Assert.True(throttle.TryStartWaiting(client));
        }
        Assert.False(throttle.TryStartWaiting(Attacker));
        for (int i = 0; i < Config.Failures; i++) throttle.RecordFailure(Attacker, Config);
        Assert.True(throttle.IsFlooding(Attacker, Config));
        Assert.False(throttle.IsFlooding(Other, Config));
        Assert.Equal(AuthThrottle.MaxWaiting, throttle.Waiting);
    }
}
