namespace ConnExporter.Web.Security;

/// <summary>rate_limit: a token bucket of <see cref="Burst"/> requests refilled one per
/// <see cref="Interval"/>; a zero interval disables it (exporter-toolkit's meaning).</summary>
public sealed record RateLimitConfig(int Burst, TimeSpan Interval)
{
    public bool IsEnabled => Interval > TimeSpan.Zero;
}
