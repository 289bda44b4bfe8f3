using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ConnExporter.Web.Security;

/// <summary>
/// Checks <c>Authorization: Basic</c> against basic_auth_users. bcrypt runs once per distinct
/// (user, stored hash, password): results, good and bad, are cached under a SHA-256 of the
/// three (in two caches, so that guessing never evicts an accepted credential), so a scraper's
/// repeated credential costs a hash lookup and the password itself is not kept. At most auth_throttle.bcrypt_concurrency bcrypt checks run at once (exporter-toolkit
/// runs one) so a flood of guesses never takes every core, and an unknown user is checked
/// against a fixed hash so timing does not reveal which users exist. Failures feed the
/// <see cref="AuthThrottle"/>, which is asked again once a check holds the bcrypt slot:
/// guesses queued in parallel from one address stop running as soon as it is blocked.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "SemaphoreSlim holds no handle unless AvailableWaitHandle is used; this one lives as long as the server.")]
internal sealed class BasicAuthentication
{
    /// <summary>Refused credentials cached before that cache is emptied: bounds memory under guessing.</summary>
    public const int MaxCachedCredentials = 1024;

    /// <summary>Accepted credentials cached before that cache is emptied. Kept apart from the
    /// refused ones: only someone who knows a password adds one, so guesses from any number of
    /// addresses never evict a scraper's credential and make it pay bcrypt again.</summary>
    public const int MaxAcceptedCredentials = 64;

    // bcrypt of a random password nobody knows; cost 10 like htpasswd -B's default.
    private const string DecoyHash = "$2b$10$9BUMI2X0F7eWVj7D206Pae9FOIex.fHfFwB06VouvfJxZ6tFH86n6";

    private readonly ConcurrentDictionary<string, bool> _accepted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _refused = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _bcrypt;
    private readonly AuthThrottle _throttle;
    private readonly AuthMetrics _metrics;

    /// <param name="bcryptConcurrency">Fixed for the server's life: a semaphore cannot be resized
    /// safely under waiters, so a changed bcrypt_concurrency applies after a restart.</param>
    public BasicAuthentication(int bcryptConcurrency = 1, AuthThrottle? throttle = null)
    {
        Concurrency = Math.Clamp(bcryptConcurrency, 1, Environment.ProcessorCount);
        _bcrypt = new SemaphoreSlim(Concurrency, Concurrency);
        _throttle = throttle ?? new AuthThrottle();
        _metrics = new AuthMetrics(_throttle);
    }

    /// <summary>bcrypt checks that may run at once.</summary>
    public int Concurrency { get; }

    public AuthThrottle Throttle => _throttle;

    public AuthMetrics Metrics => _metrics;

    /// <summary>How many times bcrypt ran (for tests of the cache).</summary>
    public int BcryptRuns => (int)_metrics.BcryptRunCount;

    /// <summary>True when <paramref name="authorization"/> carries a known user's password
    /// (no throttle: for callers that have no client address).</summary>
    public async ValueTask<bool> IsAuthorizedAsync(IReadOnlyDictionary<string, string> users, string? authorization, CancellationToken cancel) =>
        await CheckAsync(users, authorization, null, AuthThrottleConfig.Off, cancel) == AuthOutcome.Authorized;

    /// <summary>
    /// Checks <paramref name="authorization"/> from <paramref name="client"/>. The caller has
    /// already refused a blocked client; this asks again only after waiting for a bcrypt slot.
    /// </summary>
    public async ValueTask<AuthOutcome> CheckAsync(IReadOnlyDictionary<string, string> users, string? authorization,
        System.Net.IPAddress? client, AuthThrottleConfig throttle, CancellationToken cancel)
    {
        // No or unreadable credentials cost nothing and are what a browser sends first: a 401, not a failure.
        if (!TryDecode(authorization, out string? user, out byte[]? password)) return AuthOutcome.NoCredentials;
        try
        {
            bool known = users.TryGetValue(user, out string? hash);
            hash ??= DecoyHash;
            string key = CacheKey(user, hash, password);
            bool ok = _accepted.ContainsKey(key);
            if (!ok && !_refused.ContainsKey(key))
            {
                await _bcrypt.WaitAsync(cancel);
                try
                {
                    // Guesses from one address queued here in parallel: once an earlier one
                    // blocked the address, the rest leave without running bcrypt.
                    if (_throttle.IsBlocked(client, throttle, out _)) return AuthOutcome.Throttled;
                    _metrics.CountBcryptRun();
                    ok = Bcrypt.Verify(password, hash) && known;
                    // Recorded before the slot is released, so the next waiter sees this failure.
                    if (!ok) _throttle.RecordFailure(client, throttle);
                }
                finally
                {
                    _bcrypt.Release();
                }
                var cache = ok ? _accepted : _refused;
                if (cache.Count >= (ok ? MaxAcceptedCredentials : MaxCachedCredentials)) cache.Clear();
                cache[key] = ok;
            }
            else if (!ok)
            {
                _throttle.RecordFailure(client, throttle);
            }
            if (ok && known)
            {
                _throttle.RecordSuccess(client);
                return AuthOutcome.Authorized;
            }
            _metrics.CountFailure();
            return AuthOutcome.Denied;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    /// <summary>
    /// Parses <c>Basic base64(user:password)</c> as Go's Request.BasicAuth does: the scheme is
    /// case-insensitive, the split is at the first colon. The user must be valid UTF-8 (it is
    /// compared with YAML keys); the password stays bytes.
    /// </summary>
    public static bool TryDecode(string? authorization, out string user, out byte[] password)
    {
        user = "";
        password = [];
        const string Scheme = "Basic ";
        if (authorization is null || authorization.Length <= Scheme.Length
            || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
            return false;
        var encoded = authorization.AsSpan(Scheme.Length);
        if (encoded.Length > 4096) return false;
        byte[] decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(encoded.Length)];
        if (!Convert.TryFromBase64Chars(encoded, decoded, out int length)) return false;
        var bytes = decoded.AsSpan(0, length);
        int colon = bytes.IndexOf((byte)':');
        if (colon < 0)
        {
            CryptographicOperations.ZeroMemory(decoded);
            return false;
        }
        try
        {
            user = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes[..colon]);
        }
        catch (DecoderFallbackException)
        {
            CryptographicOperations.ZeroMemory(decoded);
            return false;
        }
        password = bytes[(colon + 1)..].ToArray();
        CryptographicOperations.ZeroMemory(decoded);
        return true;
    }

    private static string CacheKey(string user, string hash, byte[] password)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Length-prefixed so that no two (user, hash, password) triples share an input.
        Span<byte> length = stackalloc byte[4];
        foreach (var part in (byte[][])[Encoding.UTF8.GetBytes(user), Encoding.ASCII.GetBytes(hash), password])
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, part.Length);
            sha.AppendData(length);
            sha.AppendData(part);
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
