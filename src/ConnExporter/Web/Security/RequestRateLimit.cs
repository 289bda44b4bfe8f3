using System.Diagnostics;

namespace ConnExporter.Web.Security;

/// <summary>
/// rate_limit as Go's <c>rate.NewLimiter(rate.Every(interval), burst)</c>: a bucket of
/// <c>burst</c> tokens, one added per interval; a request without a token gets 429.
/// </summary>
internal sealed class RequestRateLimit
{
    private readonly Lock _gate = new();
    private RateLimitConfig _config;
    private double _tokens;
    private long _last;

    public RequestRateLimit(RateLimitConfig config)
    {
        _config = config;
        _tokens = config.Burst;
        _last = Stopwatch.GetTimestamp();
    }

    public bool TryAcquire(RateLimitConfig config)
    {
        if (!config.IsEnabled) return true;
        lock (_gate)
        {
            if (config != _config)
            {
                // A reload with new numbers starts a full bucket, as a new limiter would.
                _config = config;
                _tokens = config.Burst;
            }
            long now = Stopwatch.GetTimestamp();
            _tokens = Math.Min(config.Burst, _tokens + Stopwatch.GetElapsedTime(_last, now) / config.Interval);
            _last = now;
            if (_tokens < 1) return false;
            _tokens -= 1;
            return true;
        }
    }
}
