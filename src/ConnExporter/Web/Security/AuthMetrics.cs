using ConnExporter.Metrics;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Web.Security;

/// <summary>
/// What basic auth cost and refused: failures, throttled requests, bcrypt runs, and the size of
/// the throttle's table. No per-address label: addresses are unbounded, the point of the table.
/// </summary>
internal sealed class AuthMetrics : ISelfMetrics
{
    public const string Failures = "conn_exporter_auth_failures_total";
    public const string Throttled = "conn_exporter_auth_throttled_total";
    public const string BcryptRuns = "conn_exporter_auth_bcrypt_runs_total";
    public const string ThrottleAddresses = "conn_exporter_auth_throttle_addresses";
    public const string RefusedConnections = "conn_exporter_auth_refused_connections_total";

    private readonly AuthThrottle _throttle;
    private long _failures;
    private long _throttled;
    private long _bcryptRuns;
    private long _refusedConnections;

    public AuthMetrics(AuthThrottle throttle) => _throttle = throttle;

    public long FailureCount => Interlocked.Read(ref _failures);

    public long ThrottledCount => Interlocked.Read(ref _throttled);

    public long BcryptRunCount => Interlocked.Read(ref _bcryptRuns);

    public void CountFailure() => Interlocked.Increment(ref _failures);

    public void CountThrottled() => Interlocked.Increment(ref _throttled);

    public void CountBcryptRun() => Interlocked.Increment(ref _bcryptRuns);

    public long RefusedConnectionCount => Interlocked.Read(ref _refusedConnections);

    public void CountRefusedConnection() => Interlocked.Increment(ref _refusedConnections);

    public void Write(ExpositionWriter writer)
    {
        writer.BeginFamily(Failures, "Basic auth requests refused for a wrong password or unknown user (checked by bcrypt or found in the result cache).", MetricType.Counter);
        writer.Sample(Failures, (ulong)FailureCount);
        writer.BeginFamily(Throttled, "Requests answered 429 because their client address failed basic auth too often (auth_throttle); bcrypt did not run.", MetricType.Counter);
        writer.Sample(Throttled, (ulong)ThrottledCount);
        writer.BeginFamily(RefusedConnections, "Connections closed on accept, before TLS and HTTP, because their blocked client address already had every request it may have waiting for a 429.", MetricType.Counter);
        writer.Sample(RefusedConnections, (ulong)RefusedConnectionCount);
        writer.BeginFamily(BcryptRuns, "bcrypt verifications run for basic auth (cached results do not run it).", MetricType.Counter);
        writer.Sample(BcryptRuns, (ulong)BcryptRunCount);
        writer.BeginFamily(ThrottleAddresses, "Client addresses the auth throttle remembers now (at most auth_throttle.max_addresses).", MetricType.Gauge);
        writer.Sample(ThrottleAddresses, (ulong)_throttle.Count);
    }
}
