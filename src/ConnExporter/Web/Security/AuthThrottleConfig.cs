namespace ConnExporter.Web.Security;

/// <summary>
/// auth_throttle (conn-exporter's own key; exporter-toolkit has none): an address that fails
/// basic auth <see cref="Failures"/> times within <see cref="Window"/> is answered 429 without
/// bcrypt for a block that starts at <see cref="Window"/> and doubles with each further failure,
/// up to <see cref="MaxBlock"/>. At most <see cref="MaxAddresses"/> addresses are remembered.
/// A blocked address waits <see cref="BlockedDelay"/> for each 429 (a tarpit), so that an
/// attacker no longer held back by bcrypt cannot make the exporter answer cheap refusals at HTTP
/// speed. <see cref="BcryptConcurrency"/> bcrypt checks run at once, throttle on or off.
/// <c>failures: 0</c> turns the throttle off.
/// </summary>
public sealed record AuthThrottleConfig(int Failures, TimeSpan Window, TimeSpan MaxBlock, int MaxAddresses, int BcryptConcurrency, TimeSpan BlockedDelay)
{
    /// <summary>The longest blocked_delay accepted: a client's usual timeout is 10 s or more, Prometheus' 10 s.</summary>
    public static readonly TimeSpan MaxBlockedDelay = TimeSpan.FromSeconds(10);

    /// <summary>The largest max_addresses accepted: about 100 MB of state at worst.</summary>
    public const int MaxMaxAddresses = 1_000_000;

    /// <summary>On unless configured off: whoever reaches the port should pay for guessing by default.</summary>
    public static AuthThrottleConfig Default { get; } = new(5, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(15), 4096, DefaultBcryptConcurrency, TimeSpan.FromSeconds(1));

    /// <summary>The throttle off (bcrypt concurrency as by default).</summary>
    public static AuthThrottleConfig Off { get; } = Default with { Failures = 0 };

    /// <summary>Half the cores, at least one: guessing can never take every core from scrapes.</summary>
    public static int DefaultBcryptConcurrency => Math.Max(1, Environment.ProcessorCount / 2);

    public bool IsEnabled => Failures > 0;
}
