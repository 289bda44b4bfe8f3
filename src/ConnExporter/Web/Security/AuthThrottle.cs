using System.Net;
using System.Net.Sockets;

namespace ConnExporter.Web.Security;

/// <summary>
/// Failed basic-auth attempts per client address, fail2ban style: after
/// <see cref="AuthThrottleConfig.Failures"/> failures within the window the address is blocked
/// (every request answered 429, no bcrypt) for one window; a failure after a block ended, before
/// the address is forgotten, blocks it again for twice as long, up to max_block. A success
/// forgets the address. The table holds at most max_addresses entries (expired ones go first,
/// then those not blocked, then the oldest), so many source addresses cost bounded memory.
/// IPv6 clients are counted per /64: one host commonly owns a whole /64 and could otherwise
/// rotate through it.
/// </summary>
/// <remarks>
/// The state lives as long as the server, across web config reloads: a reload (a renewed
/// certificate, a new user) must not unblock an attacker, and the numbers of the generation in
/// force are applied on each use, so changed limits take effect at once on old entries too.
/// </remarks>
internal sealed class AuthThrottle
{
    /// <summary>Requests of one blocked address that may wait out blocked_delay at once; the
    /// sequential guesses of 8 connections all wait. Beyond, a request is answered at once and its
    /// connection closed, and new connections from the address are closed on accept.</summary>
    public const int MaxWaitingPerAddress = 8;

    /// <summary>Requests of all blocked addresses that may wait at once: a quarter of Kestrel's
    /// 1,024 connections, so waiting attackers never take the connections scrapers need.</summary>
    public const int MaxWaiting = 256;

    private readonly Lock _gate = new();
    private readonly Dictionary<UInt128, Entry> _entries = [];
    // Kept apart from the entries: a waiting request's count must survive its entry's eviction.
    private readonly Dictionary<UInt128, int> _waiting = [];
    private int _waitingTotal;
    private readonly TimeProvider _time;

    public AuthThrottle(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>Addresses remembered now (the bounded table's size).</summary>
    public int Count
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <summary>True when <paramref name="client"/> is blocked; <paramref name="retryAfter"/> is what is left of the block.</summary>
    public bool IsBlocked(IPAddress? client, AuthThrottleConfig config, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!config.IsEnabled) return false;
        var key = KeyOf(client);
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry) || now >= entry.BlockedUntil) return false;
            retryAfter = _time.GetElapsedTime(now, entry.BlockedUntil);
            return true;
        }
    }

    /// <summary>Requests waiting out blocked_delay now.</summary>
    public int Waiting
    {
        get { lock (_gate) return _waitingTotal; }
    }

    /// <summary>
    /// Takes one of the places where a request of blocked <paramref name="client"/> waits for its
    /// 429; false when the address or the server has none left. A true must be paired with
    /// <see cref="StopWaiting"/>.
    /// </summary>
    public bool TryStartWaiting(IPAddress? client)
    {
        var key = KeyOf(client);
        lock (_gate)
        {
            _waiting.TryGetValue(key, out int waiting);
            if (waiting >= MaxWaitingPerAddress || _waitingTotal >= MaxWaiting) return false;
            _waiting[key] = waiting + 1;
            _waitingTotal++;
            return true;
        }
    }

    /// <summary>Gives back the place <see cref="TryStartWaiting"/> took.</summary>
    public void StopWaiting(IPAddress? client)
    {
        var key = KeyOf(client);
        lock (_gate)
        {
            if (!_waiting.TryGetValue(key, out int waiting)) return;
            if (waiting <= 1) _waiting.Remove(key);
            else _waiting[key] = waiting - 1;
            _waitingTotal--;
        }
    }

    /// <summary>
    /// True when <paramref name="client"/> is blocked and has no place left to wait: a new
    /// connection from it is closed on accept, before TLS and HTTP cost anything.
    /// </summary>
    public bool IsFlooding(IPAddress? client, AuthThrottleConfig config)
    {
        if (!config.IsEnabled) return false;
        var key = KeyOf(client);
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry) || now >= entry.BlockedUntil) return false;
            return (_waiting.TryGetValue(key, out int waiting) && waiting >= MaxWaitingPerAddress) || _waitingTotal >= MaxWaiting;
        }
    }

    /// <summary>Counts a wrong or unknown credential from <paramref name="client"/>.</summary>
    public void RecordFailure(IPAddress? client, AuthThrottleConfig config)
    {
        if (!config.IsEnabled) return;
        var key = KeyOf(client);
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry) && IsExpired(entry, now, config))
            {
                _entries.Remove(key);
                entry = null;
            }
            if (entry is null)
            {
                if (_entries.Count >= config.MaxAddresses) MakeRoom(now, config);
                entry = new Entry { WindowStart = now };
                _entries[key] = entry;
            }
            entry.LastFailure = now;
            // A failure that slipped in while blocked (it passed the check just before the
            // block began) does not lengthen the block: the block's end stays predictable.
            if (now < entry.BlockedUntil) return;
            if (entry.Blocks > 0)
            {
                // Failing again after a block, before being forgotten: no fresh allowance.
                Block(entry, now, config);
                return;
            }
            if (_time.GetElapsedTime(entry.WindowStart, now) > config.Window)
            {
                entry.WindowStart = now;
                entry.Failures = 0;
            }
            if (++entry.Failures >= config.Failures) Block(entry, now, config);
        }
    }

    /// <summary>A correct credential from <paramref name="client"/>: its failures are forgotten.</summary>
    public void RecordSuccess(IPAddress? client)
    {
        var key = KeyOf(client);
        lock (_gate)
        {
            if (_entries.Count > 0) _entries.Remove(key);
        }
    }

    private void Block(Entry entry, long now, AuthThrottleConfig config)
    {
        // window, 2×, 4×, … up to max_block; the shift is capped so it cannot overflow.
        var length = config.Window * (1L << Math.Min(entry.Blocks, 30));
        if (length > config.MaxBlock || length < TimeSpan.Zero) length = config.MaxBlock;
        entry.Blocks++;
        entry.BlockedUntil = now + (long)(length.TotalSeconds * _time.TimestampFrequency);
    }

    private bool IsExpired(Entry entry, long now, AuthThrottleConfig config) => entry.Blocks == 0
        ? _time.GetElapsedTime(entry.WindowStart, now) > config.Window
        : now >= entry.BlockedUntil && _time.GetElapsedTime(entry.BlockedUntil, now) > config.MaxBlock;

    /// <summary>
    /// Called when the table is full: drops every expired entry, and when none was, the one that
    /// matters least (not blocked before blocked, then the longest since its last failure).
    /// One pass over at most max_addresses entries, only when a new address fails.
    /// </summary>
    private void MakeRoom(long now, AuthThrottleConfig config)
    {
        List<UInt128>? expired = null;
        foreach (var (key, entry) in _entries)
            if (IsExpired(entry, now, config)) (expired ??= []).Add(key);
        if (expired is not null)
            foreach (var key in expired) _entries.Remove(key);
        // More than one only when a reload made max_addresses smaller.
        while (_entries.Count >= config.MaxAddresses) _entries.Remove(LeastImportant(now));
    }

    private UInt128 LeastImportant(long now)
    {
        UInt128 victim = default;
        Entry? least = null;
        foreach (var (key, entry) in _entries)
        {
            bool blocked = now < entry.BlockedUntil;
            bool leastBlocked = least is not null && now < least.BlockedUntil;
            if (least is null || (!blocked && leastBlocked)
                || (blocked == leastBlocked && entry.LastFailure < least.LastFailure))
            {
                least = entry;
                victim = key;
            }
        }
        return victim;
    }

    /// <summary>IPv4 (also as IPv4-mapped IPv6) as ::ffff:a.b.c.d, IPv6 as its /64; no address (a
    /// Unix socket) is one shared key.</summary>
    internal static UInt128 KeyOf(IPAddress? client)
    {
        if (client is null) return UInt128.Zero;
        if (client.IsIPv4MappedToIPv6) client = client.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        if (client.AddressFamily == AddressFamily.InterNetwork)
        {
            client.TryWriteBytes(bytes[12..], out _);
            bytes[10] = 0xff;
            bytes[11] = 0xff;
            return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
        }
        client.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private sealed class Entry
    {
        public long WindowStart;
        public long LastFailure;
        public long BlockedUntil;
        public int Failures;
        public int Blocks;
    }
}
