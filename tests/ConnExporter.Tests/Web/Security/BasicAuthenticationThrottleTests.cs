using System.Net;
using ConnExporter.Web.Security;

namespace ConnExporter.Tests.Web.Security;

/// <summary>The throttle inside the bcrypt path, with real bcrypt (libcrypt): parallel guesses
/// from one address stop running bcrypt as soon as it is blocked.</summary>
public sealed class BasicAuthenticationThrottleTests
{
    private static readonly Dictionary<string, string> Users = new() { ["alice"] = BcryptTests.S3cret2b };
    private static readonly AuthThrottleConfig Throttle = new(3, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(15), 100, 1, TimeSpan.FromSeconds(1));

    [Fact]
    public async Task ParallelGuessesFromOneAddressRunBcryptOnlyUpToTheThreshold()
    {
        var auth = new BasicAuthentication(bcryptConcurrency: 1);
        var attacker = IPAddress.Parse("192.0.2.7");
        // 64 distinct wrong passwords at once: all pass the first check, then queue for the one
        // bcrypt slot; the failures are recorded before the slot is released.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            Task.Run(async () => await auth.CheckAsync(Users, BcryptTests.Header("alice", $"guess-{i}"), attacker, Throttle, default))));
        Assert.Equal(Throttle.Failures, auth.BcryptRuns);
        Assert.Equal(Throttle.Failures, outcomes.Count(o => o == AuthOutcome.Denied));
        Assert.Equal(64 - Throttle.Failures, outcomes.Count(o => o == AuthOutcome.Throttled));
        Assert.Equal(Throttle.Failures, auth.Metrics.FailureCount);
        Assert.True(auth.Throttle.IsBlocked(attacker, Throttle, out _));

        // Another address is not slowed: the right password passes, and a cached one costs no bcrypt.
        var scraper = IPAddress.Parse("192.0.2.8");
        Assert.Equal(AuthOutcome.Authorized, await auth.CheckAsync(Users, BcryptTests.Header("alice", "s3cret"), scraper, Throttle, default));
        Assert.Equal(AuthOutcome.Authorized, await auth.CheckAsync(Users, BcryptTests.Header("alice", "s3cret"), scraper, Throttle, default));
        Assert.Equal(Throttle.Failures + 1, auth.BcryptRuns);
    }

    [Fact]
    public async Task CachedWrongCredentialsCountAsFailuresAndMissingOnesDoNot()
    {
        var auth = new BasicAuthentication();
        var client = IPAddress.Parse("192.0.2.9");
        for (int i = 0; i < 10; i++)
            Assert.Equal(AuthOutcome.NoCredentials, await auth.CheckAsync(Users, null, client, Throttle, default));
        Assert.Equal(0, auth.Throttle.Count);
        // The same wrong password again and again: bcrypt once, then the cache; each one is a failure.
        for (int i = 0; i < Throttle.Failures; i++)
            Assert.Equal(AuthOutcome.Denied, await auth.CheckAsync(Users, BcryptTests.Header("alice", "wrong"), client, Throttle, default));
        Assert.Equal(1, auth.BcryptRuns);
        Assert.Equal(Throttle.Failures, auth.Metrics.FailureCount);
        Assert.True(auth.Throttle.IsBlocked(client, Throttle, out _));
    }

    [Fact]
    public void ConcurrencyIsAtLeastOneAndAtMostTheCores()
    {
        Assert.Equal(1, new BasicAuthentication(0).Concurrency);
        Assert.Equal(Environment.ProcessorCount, new BasicAuthentication(int.MaxValue).Concurrency);
    }
}
