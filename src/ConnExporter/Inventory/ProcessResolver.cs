using System.Runtime.InteropServices;
using System.Text;
using System.Buffers.Text;
using ConnExporter.Kernel;
using ConnExporter.Kernel.ProcFs;
using ConnExporter.Kernel.TaskFiles;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Inventory;

/// <summary>
/// Finds the processes that hold socket inodes by walking <c>/proc/&lt;pid&gt;/fd</c> — the
/// walk <c>ss -p</c> does, and the costliest part of an inventory — keeping what it learns
/// between calls so that a steady host costs little more than listing directories.
/// </summary>
/// <remarks>
/// <para>Processes are cached by (pid, start time): comm, exe and cgroup are read once per
/// process lifetime, and a reused pid (new start time) gets a fresh entry. Only thread-group
/// leaders are looked at (the entries <c>/proc</c> lists); threads share their leader's fd table.</para>
/// <para>Each process also keeps its fd table as last seen (fd number → socket inode, or "not
/// a socket"). A later scan lists the fd directory — one getdents64, cheap — and reads the link
/// only of (a) fd numbers not seen before and (b) fds whose cached socket was among the wanted
/// inodes and no longer is: that socket was closed and the number may now name something else.
/// A socket never wanted (unix sockets, kinds not asked for) is trusted like a non-socket;
/// re-reading it on every call would make a process holding thousands of unix sockets cost a
/// cold scan each time. Where the kernel reports the number of open fds as the size of the
/// fd directory (Linux ≥ 6.2), even the listing is skipped while that number and the cached
/// sockets' membership in the wanted set are unchanged.</para>
/// <para>What this cannot see: an fd closed and its number reused between two scans, when the
/// old value still looks plausible — a non-socket replaced by a socket, or a socket that another
/// process still holds replaced by another socket. Either way some wanted socket ends up with
/// no owner. So when wanted, non-zero inodes remain unowned after the cheap pass and any of them
/// was not already unowned last time, every fd link is read once more. Inodes that stay unowned
/// even then (kernel sockets, processes we may not read, sockets only in flight in SCM_RIGHTS)
/// are remembered, so they do not force a full rescan on every call. The remaining blind spot —
/// a reused fd number naming an unwanted socket while the cached, still-wanted one is held by
/// another process — only adds a stale owner until that process closes the fd.</para>
/// <para>Out of file descriptors (EMFILE, or ENFILE host-wide), every further open fails the
/// same way, so the walk stops at the first one and the result says it is incomplete
/// (<see cref="SocketOwners.DescriptorsExhausted"/>): the collectors that need owners then
/// report failure instead of showing every socket as unowned. Nothing learned in such a walk
/// evicts or replaces the cache, so the first walk after descriptors free up is a normal one.
/// The warning is rate-limited: a scrape every few seconds must not flood the journal.</para>
/// <para>The first walk of a resolver reads every link whatever the socket set, so it can run
/// before that set is known: <see cref="WalkAhead"/> does it (the inventory starts it beside its
/// kernel dump, on another core), and the next <see cref="Resolve"/> only matches. Like
/// <c>ss -p</c>, which also walks <c>/proc</c> before it dumps, a socket opened between the
/// walk and the dump then shows no owner in that one result.</para>
/// <para>Calls are serialised; the result is immutable and may be shared by concurrent readers.</para>
/// </remarks>
public sealed class ProcessResolver
{
    // Sizes: /proc/<pid>/stat is ~300 bytes (52 numeric fields and a 15-byte comm, under 1.2 KiB
    // at most); exe may be as long as PATH_MAX.
    private const int ListingBufferSize = 32 * 1024;
    private const int StatBufferSize = 2048;
    private const int FileBufferSize = 16 * 1024;
    private const int PathMax = 4096;

    /// <summary>At most one out-of-descriptors warning per this interval.</summary>
    internal static readonly TimeSpan ExhaustedWarningInterval = TimeSpan.FromMinutes(1);

    private readonly byte[] _procfsRoot; // NUL-terminated
    private readonly string _procfsRootText;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();

    private readonly Dictionary<int, ProcessCacheEntry> _processes = [];
    private readonly HashSet<ulong> _knownUnowned = [];
    private readonly List<int> _sweep = [];
    private uint _generation;
    private bool _warnedDenied;
    private bool _warnedRoot;
    private long _exhaustedWarnedAt;   // Stopwatch timestamp of the last warning, 0 for none
    private int _exhaustedSinceWarning; // walks cut short since that warning
    private int _exhaustedWalks;        // walks cut short since the last complete one

    private readonly byte[] _procListing = new byte[ListingBufferSize];
    private readonly byte[] _fdListing = new byte[ListingBufferSize];
    private readonly byte[] _stat = new byte[StatBufferSize];
    private readonly byte[] _file = new byte[FileBufferSize];
    private readonly FdLinkBatch _fdLinks = new();
    private readonly byte[] _path = new byte[PathMax];
    private static readonly HashSet<ulong> NoSockets = [];

    // The walk WalkAhead did, waiting for the Resolve that matches it against the socket set.
    private (uint Generation, bool Walked, ResolveCounters Counters)? _walkedAhead;

    // The kernel's task/file iterator, tried at the first walk when asked for; null after it
    // failed to load or to read (the /proc walk then serves every walk).
    private bool _tryKernelIterator;
    private SocketFdIterator? _kernelFds;
    private readonly List<SocketFdIterator.Record> _kernelRun = [];

    /// <param name="procfsRoot">Where procfs is mounted, normally <c>/proc</c>.</param>
    /// <param name="kernelIterator">Find socket descriptors with the kernel's task/file BPF
    /// iterator (<see cref="SocketFdIterator"/>) when it loads: one read instead of one
    /// readlinkat per descriptor. It reads every socket descriptor at every walk (no cache makes
    /// a later one cheaper), so it suits a resolver that walks once: the connections command.</param>
    public ProcessResolver(string procfsRoot, ILogger logger, bool kernelIterator = false)
    {
        _procfsRootText = procfsRoot;
        _procfsRoot = [.. Encoding.UTF8.GetBytes(procfsRoot), 0];
        _logger = logger;
        _tryKernelIterator = kernelIterator;
    }

    /// <summary>Whether the last walk read the kernel's iterator instead of /proc/&lt;pid&gt;/fd.</summary>
    public bool UsedKernelIterator { get; private set; }

    /// <summary>
    /// The owners of <paramref name="socketInodes"/> (inode 0 is never looked up). Never
    /// throws for what procfs shows: vanished processes are skipped, unreadable ones counted.
    /// </summary>
    public SocketOwners Resolve(IReadOnlySet<ulong> socketInodes)
    {
        lock (_gate)
        {
            uint generation;
            ResolveCounters counters;
            bool walked;
            if (_walkedAhead is { } ahead)
            {
                // Every link was read by that walk (nothing cached was trusted): only match.
                _walkedAhead = null;
                (generation, walked, counters) = ahead;
                foreach (var process in _processes.Values)
                    if (process.Generation == generation) process.MarkWanted(socketInodes);
            }
            else
            {
                generation = ++_generation;
                counters = new ResolveCounters();
                walked = ScanAll(socketInodes, rereadAll: false, generation, ref counters);
            }

            if (counters.DescriptorsExhausted) return Exhausted(socketInodes, generation, counters);
            if (!walked) return SocketOwners.Empty;

            var owners = CollectOwners(socketInodes, generation);
            if (counters.TrustedCache && HasNewlyUnowned(socketInodes, owners))
            {
                counters.FullRescan = true;
                ScanAll(socketInodes, rereadAll: true, generation, ref counters);
                owners = CollectOwners(socketInodes, generation);
            }

            if (counters.DescriptorsExhausted) return Exhausted(socketInodes, generation, counters);

            RememberUnowned(socketInodes, owners);
            EvictGone(generation);
            Recovered();
            return new SocketOwners(owners, counters);
        }
    }

    /// <summary>True before the first walk: nothing is cached, so a walk reads every fd link.</summary>
    public bool IsCold
    {
        get
        {
            lock (_gate) return _generation == 0;
        }
    }

    /// <summary>
    /// The first walk, before the socket set is known (see the remarks): reads every process's
    /// fd links for the next <see cref="Resolve"/> to match. Does nothing once the cache is warm,
    /// where a walk reads only what changed and needs the socket set to know what did.
    /// </summary>
    public void WalkAhead()
    {
        lock (_gate)
        {
            if (_generation != 0) return;
            uint generation = ++_generation;
            var counters = new ResolveCounters();
            bool walked = ScanAll(NoSockets, rereadAll: false, generation, ref counters);
            _walkedAhead = (generation, walked, counters);
        }
    }

    /// <summary>
    /// Lets go of every process's cached fd table (a caller that resolves only once): the
    /// results already returned keep their owners; the next walk would be a cold one.
    /// </summary>
    public void ForgetFdTables()
    {
        lock (_gate)
        {
            _processes.Clear();
            _processes.TrimExcess();
            _knownUnowned.Clear();
            _kernelFds?.Dispose();
            _kernelFds = null;
            _tryKernelIterator = false;
        }
    }

    /// <summary>Drops a walk <see cref="WalkAhead"/> left for a collection that failed: the next
    /// <see cref="Resolve"/> walks afresh (incrementally, from what that walk cached).</summary>
    public void ForgetWalkAhead()
    {
        lock (_gate) _walkedAhead = null;
    }

    /// <summary>
    /// A walk cut short by EMFILE/ENFILE: what it found, flagged incomplete. The cache is neither
    /// evicted nor told which sockets are unowned (the processes not reached are not gone).
    /// </summary>
    private SocketOwners Exhausted(IReadOnlySet<ulong> wanted, uint generation, in ResolveCounters counters)
    {
        _exhaustedWalks++;
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_exhaustedWarnedAt == 0
            || System.Diagnostics.Stopwatch.GetElapsedTime(_exhaustedWarnedAt, now) >= ExhaustedWarningInterval)
        {
            _logger.LogWarning(
                "Out of file descriptors ({Errno}) while walking {ProcfsRoot}/<pid>/fd: socket owners are unknown " +
                "and the collectors that need them report conn_exporter_collector_success 0 until descriptors free up. " +
                "Raise the limit (LimitNOFILE=, ulimit -n). Said at most once a minute; {Suppressed} more walks failed since the last warning",
                counters.ExhaustedErrno, _procfsRootText, _exhaustedSinceWarning);
            _exhaustedWarnedAt = now;
            _exhaustedSinceWarning = 0;
        }
        else
        {
            _exhaustedSinceWarning++;
        }
        return new SocketOwners(CollectOwners(wanted, generation), counters);
    }

    private void Recovered()
    {
        if (_exhaustedWalks == 0) return;
        _logger.LogInformation("File descriptors available again: socket owners resolved ({Walks} walks had failed for want of them)",
            _exhaustedWalks);
        _exhaustedWalks = 0;
        _exhaustedSinceWarning = 0;
        _exhaustedWarnedAt = 0;
    }

    /// <summary>The process (EMFILE) or the host (ENFILE) has no descriptor left to open anything.</summary>
    private static bool OutOfDescriptors(Interop.Errno error, ref ResolveCounters counters)
    {
        if (error is not (Interop.Errno.EMFILE or Interop.Errno.ENFILE)) return false;
        counters.DescriptorsExhausted = true;
        counters.ExhaustedErrno = error;
        return true;
    }

    private bool ScanAll(IReadOnlySet<ulong> wanted, bool rereadAll, uint generation, ref ResolveCounters counters)
    {
        UsedKernelIterator = false;
        if (KernelIterator() is { } iterator)
        {
            if (ScanKernelIterator(iterator, wanted, generation, ref counters)) return UsedKernelIterator = true;
            // It could not be read (what it filled is cleared): walk /proc, now and from now on.
            _kernelFds = null;
            iterator.Dispose();
        }

        if (!ScopedFileDescriptor.TryOpenDirectoryAt(Interop.AtFdCwd, _procfsRoot, out var root, out var error))
        {
            if (OutOfDescriptors(error, ref counters)) return false;
            if (!_warnedRoot)
            {
                _warnedRoot = true;
                _logger.LogWarning("Cannot open {ProcfsRoot} ({Errno}): socket owners are unknown", _procfsRootText, error);
            }
            return false;
        }
        using (root)
        {
            var entries = new DirectoryEntries(root.Value, _procListing);
            while (entries.MoveNext())
            {
                var entry = entries.Current;
                if (entry.Type is not (DirectoryEntry.TypeDirectory or DirectoryEntry.TypeUnknown)) continue;
                if (!entry.TryParseNumber(out int pid)) continue;
                // A process that exits between listing and opening is simply not there.
                if (!ScopedFileDescriptor.TryOpenDirectoryAt(root.Value, entry.NulTerminatedName, out var pidDir, out var pidError))
                {
                    if (OutOfDescriptors(pidError, ref counters)) break;
                    continue;
                }
                using (pidDir)
                    ScanProcess(pid, pidDir.Value, wanted, rereadAll, generation, ref counters);
                // Every later open would fail the same way: stop rather than walk on blind.
                if (counters.DescriptorsExhausted) break;
            }
            if (entries.Error != 0 || entries.Malformed)
                _logger.LogDebug("Listing {ProcfsRoot} stopped early ({Errno}, malformed: {Malformed})",
                    _procfsRootText, entries.Error, entries.Malformed);
        }
        return true;
    }

    private void ScanProcess(int pid, int pidDir, IReadOnlySet<ulong> wanted, bool rereadAll, uint generation,
        ref ResolveCounters counters)
    {
        if (Identify(pid, pidDir, generation, ref counters) is not { } process) return;

        if (!rereadAll && FdTableLooksUnchanged(process, pidDir, wanted))
        {
            counters.FdListingsSkipped++;
            counters.TrustedCache = true;
            return;
        }

        process.ListedFdCount = -1;
        if (!ScopedFileDescriptor.TryOpenDirectoryAt(pidDir, "fd\0"u8, out var fdDir, out var error))
        {
            // The fd table is not known to be empty: keep it (ListedFdCount -1 forces a listing).
            if (OutOfDescriptors(error, ref counters)) return;
            if (error is Interop.Errno.EACCES or Interop.Errno.EPERM) Denied(pid, rereadAll, ref counters);
            process.Fds.Clear();
            return;
        }
        using (fdDir)
            ScanFds(pid, process, fdDir.Value, wanted, rereadAll, generation, ref counters);
    }

    /// <summary>
    /// The cache entry of the process in <paramref name="pidDir"/>, read afresh when it is new or
    /// its pid was reused or it exec'd; null when it vanished (or descriptors ran out).
    /// </summary>
    private ProcessCacheEntry? Identify(int pid, int pidDir, uint generation, ref ResolveCounters counters)
    {
        // Everything is read through the /proc/<pid> descriptor, so it all belongs to the process
        // whose start time we read even if the pid is reused meanwhile (reads then fail: ESRCH).
        if (!ProcFile.TryRead(pidDir, "stat\0"u8, _stat, out int length, out var statError))
        {
            OutOfDescriptors(statError, ref counters);
            return null;
        }
        if (!ProcPidStat.TryParse(_stat.AsSpan(0, length), out var stat)) return null;
        counters.ProcessesScanned++;

        _processes.TryGetValue(pid, out var process);
        if (process is null || process.Info.StartTime != stat.StartTime || !process.HasComm(stat.Comm))
        {
            // An identity read without its cgroup would be cached for the process's lifetime.
            if (ReadIdentity(pid, pidDir, stat, ref counters) is not { } fresh) return null;
            _processes[pid] = process = fresh;
            counters.ProcessesRead++;
        }
        process.Generation = generation;
        return process;
    }

    private void WalkInstead(string? problem) =>
        _logger.LogDebug("Socket owners come from walking {ProcfsRoot}/<pid>/fd: {Problem}", _procfsRootText, problem);

    /// <summary>The iterator, loaded at the first walk that may use it; null when it cannot be.</summary>
    private SocketFdIterator? KernelIterator()
    {
        if (!_tryKernelIterator) return _kernelFds;
        _tryKernelIterator = false;
        _kernelFds = SocketFdIterator.TryLoad(Kernel.Ebpf.EbpfPrerequisites.KernelBtfPath, _procfsRootText, out string? problem);
        if (_kernelFds is null)
            WalkInstead(problem);
        return _kernelFds;
    }

    /// <summary>
    /// A walk from the iterator's records: the processes holding sockets are identified through
    /// /proc as the walk does (stat, exe, cgroup), their fd tables are what the kernel reported.
    /// The tables then hold sockets only, so they are marked unlisted: a later /proc walk (a
    /// resolver that outlives one walk) lists them afresh. False when the iterator could not be read.
    /// </summary>
    private bool ScanKernelIterator(SocketFdIterator iterator, IReadOnlySet<ulong> wanted, uint generation,
        ref ResolveCounters counters)
    {
        using var pass = iterator.Begin(out string? problem);
        if (pass is null)
        {
            WalkInstead(problem);
            return false;
        }
        if (!ScopedFileDescriptor.TryOpenDirectoryAt(Interop.AtFdCwd, _procfsRoot, out var root, out _)) return false;
        int sockets = 0;
        using (root)
        {
            Span<byte> name = stackalloc byte[12];
            // One task's records are gathered first (they may span batches) and put into its
            // table at its final size: grown by doubling, the tables of processes holding
            // thousands of sockets each left megabytes of garbage at the command's peak
            // (100k sockets: +6 MB).
            var run = _kernelRun;
            int pid = -1;
            while (pass.Next(out var records, out problem))
            {
                sockets += records.Length;
                foreach (ref readonly var record in records)
                {
                    if (record.Pid != pid)
                    {
                        AddRun(root.Value, pid, run, name, wanted, generation, ref counters);
                        run.Clear();
                        if (counters.DescriptorsExhausted) return true;
                        pid = record.Pid;
                    }
                    run.Add(record);
                }
            }
            if (problem is null) AddRun(root.Value, pid, run, name, wanted, generation, ref counters);
            run.Clear();
        }
        if (problem is null)
        {
            _logger.LogDebug("Socket owners come from the kernel's task/file iterator: {Sockets} socket descriptors", sockets);
            return true;
        }
        // Cut short: the processes read so far are half-known. The walk that follows re-lists
        // every one of them (ListedFdCount -1, and a cold table is read whole).
        foreach (var process in _processes.Values)
            if (process.Generation == generation) process.Fds.Clear();
        WalkInstead(problem);
        return false;
    }

    /// <summary>One task's records into its process's table (a thread with a table of its own
    /// adds to its process's); nothing when the process is gone or unreadable.</summary>
    private void AddRun(int root, int pid, List<SocketFdIterator.Record> run, Span<byte> name, IReadOnlySet<ulong> wanted,
        uint generation, ref ResolveCounters counters)
    {
        if (run.Count == 0 || IdentifyByPid(root, pid, name, generation, ref counters) is not { } process) return;
        var fds = process.Fds;
        fds.EnsureCapacity(fds.Count + run.Count);
        foreach (ref readonly var record in CollectionsMarshal.AsSpan(run))
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(fds, record.Fd, out _);
            slot.Inode = record.Inode;
            slot.Wanted = wanted.Contains(record.Inode);
            slot.Generation = generation;
        }
    }

    private ProcessCacheEntry? IdentifyByPid(int root, int pid, Span<byte> name, uint generation, ref ResolveCounters counters)
    {
        // A thread with a descriptor table of its own comes after other processes' tasks: its
        // process is already identified, and its table already started, in this walk.
        if (_processes.TryGetValue(pid, out var known) && known.Generation == generation) return known;
        if (!Utf8Formatter.TryFormat(pid, name, out int written) || written >= name.Length) return null;
        name[written] = 0;
        if (!ScopedFileDescriptor.TryOpenDirectoryAt(root, name[..(written + 1)], out var pidDir, out var error))
        {
            OutOfDescriptors(error, ref counters);
            return null; // gone since the kernel listed it
        }
        using (pidDir)
        {
            var process = Identify(pid, pidDir.Value, generation, ref counters);
            if (process is null) return null;
            process.Fds.Clear();
            process.ListedFdCount = -1;
            return process;
        }
    }

    /// <summary>
    /// Listing a large fd directory is the floor of a steady scan (the kernel builds a dentry per
    /// fd: ~1 µs each). Since Linux 6.2 the size of <c>/proc/&lt;pid&gt;/fd</c> is the number of
    /// open fds (fs/proc/fd.c, proc_fd_getattr); earlier kernels report 0 and are always listed.
    /// The same count and every cached socket still as wanted as before leave one change unseen:
    /// a non-socket (or unwanted socket) closed and a wanted socket opened in its place. That
    /// socket then has no owner, which the full rescan in <see cref="Resolve"/> catches.
    /// </summary>
    private static bool FdTableLooksUnchanged(ProcessCacheEntry process, int pidDir, IReadOnlySet<ulong> wanted) =>
        process.ListedFdCount > 0
        && ProcFile.TryGetSize(pidDir, "fd\0"u8, out ulong openFds)
        && openFds == (ulong)process.ListedFdCount
        && process.SocketsStillAsWanted(wanted);

    /// <summary>comm, exe and cgroup of a process; null when out of descriptors (nothing to cache).</summary>
    private ProcessCacheEntry? ReadIdentity(int pid, int pidDir, ProcPidStat stat, ref ResolveCounters counters)
    {
        string? executable = ProcFile.TryReadLink(pidDir, "exe\0"u8, _path, out int pathLength, out _)
            ? Encoding.UTF8.GetString(_path, 0, pathLength)
            : null;
        var cgroup = default(CgroupIdentity);
        if (ProcFile.TryRead(pidDir, "cgroup\0"u8, _file, out int cgroupLength, out var cgroupError))
            cgroup = ProcPidCgroup.Parse(_file.AsSpan(0, cgroupLength));
        else if (OutOfDescriptors(cgroupError, ref counters))
            return null;
        var info = new ProcessInfo(pid, stat.StartTime, Encoding.UTF8.GetString(stat.Comm), executable,
            cgroup.Unit, cgroup.Container, cgroup.PodUid);
        return new ProcessCacheEntry(info, stat.Comm);
    }

    private void ScanFds(int pid, ProcessCacheEntry process, int fdDir, IReadOnlySet<ulong> wanted, bool rereadAll,
        uint generation, ref ResolveCounters counters)
    {
        var fds = process.Fds;
        // Nothing cached (a new process, or every walk of a one-shot command): every link is read,
        // and the table is filled afterwards at its final size instead of doubling its way there
        // (at 100k sockets that growth was megabytes of garbage at the command's peak).
        bool cold = fds.Count == 0;
        int listed = 0;
        _fdLinks.Clear();
        var entries = new DirectoryEntries(fdDir, _fdListing);
        while (entries.MoveNext())
        {
            var entry = entries.Current;
            if (!entry.TryParseNumber(out int fd)) continue;
            if (cold)
            {
                _fdLinks.Add(fd);
                continue;
            }

            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(fds, fd, out bool known);
            bool read;
            if (rereadAll || !known)
            {
                read = true;
            }
            else if (slot.Inode == 0)
            {
                read = false;
            }
            else
            {
                // A socket that was wanted and no longer is has been closed: re-read. One never
                // wanted (a unix socket, a kind not asked for) is as settled as a non-socket.
                bool isWanted = wanted.Contains(slot.Inode);
                read = slot.Wanted && !isWanted;
                slot.Wanted = isWanted;
            }

            if (read)
            {
                // Read after the listing, in one batch that may use every core; the slot (added
                // above if new) gets its generation only once the link is read.
                _fdLinks.Add(fd);
                continue;
            }
            counters.TrustedCache = true;
            slot.Generation = generation;
            listed++;
        }

        bool linksReadable = entries.Error is not (Interop.Errno.EACCES or Interop.Errno.EPERM) && _fdLinks.ReadAll(fdDir);
        counters.FdLinksRead += _fdLinks.Attempted;
        if (!linksReadable)
        {
            // The fd directory may be listable while its links are not (a process that is not
            // dumpable, or another user's): every link fails the same way.
            Denied(pid, rereadAll, ref counters);
            fds.Clear();
            return;
        }
        var queued = _fdLinks.Fds;
        var inodes = _fdLinks.Inodes;
        var outcomes = _fdLinks.Outcomes;
        if (cold) fds.EnsureCapacity(queued.Length);
        for (int i = 0; i < queued.Length; i++)
        {
            // An fd closed since the listing: its slot keeps an old generation and is swept (or,
            // cold, is never added), so the number is read afresh when it reappears.
            if (outcomes[i] != FdLinkOutcome.Read) continue;
            ref var slot = ref cold
                ? ref CollectionsMarshal.GetValueRefOrAddDefault(fds, queued[i], out _)
                : ref CollectionsMarshal.GetValueRefOrNullRef(fds, queued[i]);
            slot.Inode = inodes[i];
            slot.Wanted = slot.Inode != 0 && wanted.Contains(slot.Inode);
            slot.Generation = generation;
            listed++;
        }
        // A listing cut short by an error or a malformed record proves nothing about the count.
        process.ListedFdCount = entries.Error == 0 && !entries.Malformed ? listed : -1;

        if (fds.Count != listed)
        {
            foreach (var (fd, slot) in fds)
                if (slot.Generation != generation) _sweep.Add(fd);
            foreach (int fd in _sweep) fds.Remove(fd);
            _sweep.Clear();
        }
    }

    private void Denied(int pid, bool secondPass, ref ResolveCounters counters)
    {
        if (secondPass) return; // counted in the first pass already
        counters.ProcessesDenied++;
        if (_warnedDenied) return;
        _warnedDenied = true;
        _logger.LogWarning(
            "Not allowed to read {ProcfsRoot}/{Pid}/fd: sockets of processes of other users show no owner. " +
            "Run as root or grant CAP_SYS_PTRACE (or CAP_DAC_READ_SEARCH) to see them all",
            _procfsRootText, pid);
    }

    private Dictionary<ulong, IReadOnlyList<ProcessInfo>> CollectOwners(IReadOnlySet<ulong> wanted, uint generation)
    {
        var owners = new Dictionary<ulong, IReadOnlyList<ProcessInfo>>(wanted.Count);
        List<List<ProcessInfo>>? shared = null;
        foreach (var process in _processes.Values)
        {
            if (process.Generation != generation) continue;
            var info = process.Info;
            foreach (var slot in process.Fds.Values)
            {
                // Slots not listed by the last listing were swept, so every slot is current.
                if (slot.Inode == 0 || !wanted.Contains(slot.Inode)) continue;
                ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(owners, slot.Inode, out bool exists);
                if (!exists)
                {
                    list = process.AsOwnerList;
                }
                else if (list![^1].Pid == info.Pid)
                {
                    // Same process through another fd (dup, or SCM_RIGHTS to itself): one owner.
                    // Its fds are visited together, so checking the last owner suffices.
                }
                else if (list is List<ProcessInfo> many)
                {
                    many.Add(info);
                }
                else
                {
                    var two = new List<ProcessInfo>(2) { list[0], info };
                    (shared ??= []).Add(two);
                    list = two;
                }
            }
        }
        foreach (var many in shared ?? [])
            many.Sort(static (a, b) => a.Pid.CompareTo(b.Pid));
        return owners;
    }

    private bool HasNewlyUnowned(IReadOnlySet<ulong> wanted, Dictionary<ulong, IReadOnlyList<ProcessInfo>> owners)
    {
        foreach (ulong inode in wanted)
            if (inode != 0 && !owners.ContainsKey(inode) && !_knownUnowned.Contains(inode)) return true;
        return false;
    }

    private void RememberUnowned(IReadOnlySet<ulong> wanted, Dictionary<ulong, IReadOnlyList<ProcessInfo>> owners)
    {
        // Replaced each call, so it only ever holds inodes currently asked for.
        _knownUnowned.Clear();
        foreach (ulong inode in wanted)
            if (inode != 0 && !owners.ContainsKey(inode)) _knownUnowned.Add(inode);
    }

    private void EvictGone(uint generation)
    {
        foreach (var (pid, process) in _processes)
            if (process.Generation != generation) _sweep.Add(pid);
        foreach (int pid in _sweep) _processes.Remove(pid);
        _sweep.Clear();
    }
}
