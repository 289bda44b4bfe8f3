using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using ConnExporter.Inventory;
using ConnExporter.Inventory.Containers;
using ConnExporter.Kernel.Netlink;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Kernel.Ebpf;

/// <summary>
/// The loaded and attached <c>bpf/conn_events.bpf.c</c>: TCP connect outcomes, latency and
/// accepts counted in kernel maps from the moment it attached. Reading is cheap (a few map
/// walks) and safe from concurrent scrapes. Disposing detaches and unloads the programs.
/// </summary>
public sealed class EbpfCollector : IDisposable
{
    private readonly SafeBpfObjectHandle _object;
    private readonly (string Tracepoint, SafeBpfLinkHandle Link)[] _links;
    private readonly BpfMap? _traffic;
    private readonly OutgoingTrafficLedger? _outgoing;
    private readonly BpfMap _totals;
    private readonly BpfMap _latency;
    private readonly BpfMap _accepts;
    private readonly BpfMap _pids;
    private readonly BpfMap _counters;
    private readonly BpfMap _cgroups;
    private readonly EbpfOptions _options;
    private readonly CgroupUnits _units;
    private readonly ContainerDirectory _containers;
    private readonly CommNames _comms = new();
    private readonly DeadCgroups _dead = new();
    private readonly RetiredCounts _retired = new();
    private readonly ulong[] _retiredEntries = new ulong[4]; // totals, latency, accepts, traffic
    private long _lastRetirement;
    private readonly Lock _readGate = new();

    private EbpfCollector(SafeBpfObjectHandle obj, (string, SafeBpfLinkHandle)[] links, BpfMap totals, BpfMap latency,
        BpfMap accepts, BpfMap pids, BpfMap counters, BpfMap cgroups, BpfMap? traffic, BpfMap? connections, EbpfOptions options, ILogger logger)
    {
        _object = obj;
        _links = links;
        _traffic = traffic;
        _totals = totals;
        _latency = latency;
        _accepts = accepts;
        _pids = pids;
        _counters = counters;
        _cgroups = cgroups;
        _options = options;
        _units = new CgroupUnits(recordedPath: RecordedPath);
        _containers = new ContainerDirectory(options.Rootfs);
        if (connections is { } map) _outgoing = new OutgoingTrafficLedger(map, new ConntrackDestinations(logger, sayRefused: false), _comms);
    }

    /// <summary>
    /// The tracepoint the program is attached to, as <c>conn_exporter_ebpf_attached{program}</c>
    /// names it: the kernel's name for the event, whichever way the program attaches to it.
    /// </summary>
    public const string ProgramLabel = "sock:inet_sock_set_state";

    public EbpfOptions Options => _options;

    /// <summary>Why the traffic programs are not attached although asked for (they need kernel
    /// tracepoints of Linux 6.11); null when they run or were not asked for.</summary>
    public string? TrafficUnavailable { get; private set; }

    /// <summary>
    /// Loads and attaches the programs. When anything is missing (kernel BTF, capabilities,
    /// libbpf.so.1, the tracepoint) logs ONE warning saying what and how to grant it,
    /// puts the reason in <paramref name="unavailable"/> and returns null: the exporter runs on.
    /// </summary>
    public static EbpfCollector? TryStart(ILogger logger, EbpfOptions options, out string? unavailable)
    {
        unavailable = Start(logger, options, out var collector);
        if (unavailable is not null && options.Traffic)
        {
            // The connect counters need only inet_sock_set_state (5.8); the traffic programs need
            // tracepoints of newer kernels: without them, keep the connect counters.
            string trafficReason = unavailable;
            if (Start(logger, options with { Traffic = false }, out collector) is null)
            {
                collector!.TrafficUnavailable = trafficReason;
                unavailable = null;
                logger.LogWarning("eBPF traffic counters off (conn_tcp_*_bytes_total, retransmits, resets): {Reason}", trafficReason);
            }
        }
        if (unavailable is not null)
            logger.LogWarning("eBPF collector off: {Reason}", unavailable);
        else
            logger.LogInformation("eBPF collector attached to {Tracepoints}", string.Join(", ", collector!._links.Select(l => l.Tracepoint)));
        return collector;
    }



    private static string? Start(ILogger logger, EbpfOptions options, out EbpfCollector? collector)
    {
        collector = null;
        if (EbpfPrerequisites.KernelBtf(Environment.OSVersion.Version) is { } btf) return btf;
        string status;
        try
        {
            status = File.ReadAllText("/proc/self/status");
        }
        catch (IOException)
        {
            status = "";
        }
        if (EbpfPrerequisites.MissingCapabilities(status) is { } caps) return caps;

        try
        {
            LibbpfLog.Install(logger);
        }
        catch (DllNotFoundException)
        {
            return "libbpf.so.1 is not installed (Debian/Ubuntu: apt install libbpf1; Fedora/RHEL: dnf install libbpf)";
        }

        using var resource = typeof(EbpfCollector).Assembly.GetManifestResourceStream(ConnEventsLayout.ResourceName);
        if (resource is null) return $"this build has no embedded {ConnEventsLayout.ResourceName}";
        var elf = new byte[resource.Length];
        resource.ReadExactly(elf);

        var obj = Open(elf, out var error);
        if (obj is null) return $"libbpf cannot open {ConnEventsLayout.ResourceName}: {error}";
        if (!Configure(obj, options) || !ChoosePrograms(obj, options.Traffic))
        {
            obj.Dispose();
            return $"{ConnEventsLayout.ResourceName} lacks its {ConnEventsLayout.ConfigMap} settings: the embedded object does not match this build";
        }
        int rc = Interop.Libbpf.BpfObjectLoad(obj);
        if (rc != 0)
        {
            obj.Dispose();
            return LoadFailure(-rc, status);
        }

        int cpus = Interop.Libbpf.LibbpfNumPossibleCpus();
        if (cpus <= 0)
        {
            obj.Dispose();
            return "libbpf cannot count the possible CPUs (/sys/devices/system/cpu/possible)";
        }
        var maps = new BpfMap?[8];
        maps[0] = FindMap(obj, ConnEventsLayout.TotalsMap, ConnEventsLayout.ConnectKeySize, 8, cpus);
        maps[1] = FindMap(obj, ConnEventsLayout.LatencyMap, ConnEventsLayout.LatencyKeySize, ConnEventsLayout.LatencyValueSize, cpus);
        maps[2] = FindMap(obj, ConnEventsLayout.AcceptsMap, ConnEventsLayout.AcceptKeySize, 8, cpus);
        maps[3] = FindMap(obj, ConnEventsLayout.PidsMap, ConnEventsLayout.PidKeySize, ConnEventsLayout.PidValueSize, 1);
        maps[4] = FindMap(obj, ConnEventsLayout.CountersMap, 4, 8, cpus);
        maps[5] = FindMap(obj, ConnEventsLayout.CgroupsMap, ConnEventsLayout.CgroupKeySize, ConnEventsLayout.CgroupNamesSize, 1);
        maps[6] = FindMap(obj, ConnEventsLayout.TrafficMap, ConnEventsLayout.TrafficKeySize, ConnEventsLayout.TrafficValueSize, 1);
        maps[7] = FindMap(obj, ConnEventsLayout.ConnectionsMap, ConnEventsLayout.ConnectionKeySize, ConnEventsLayout.ConnectionValueSize, 1);
        if (Array.IndexOf(maps, null) is int missing and >= 0)
        {
            obj.Dispose();
            return $"{ConnEventsLayout.ResourceName} lacks map #{missing}: the embedded object does not match this build";
        }

        var links = new List<(string, SafeBpfLinkHandle)>();
        var programs = new List<(string Program, string Tracepoint)> { (ConnEventsLayout.ProgramName, ProgramLabel) };
        if (options.Traffic) programs.AddRange(ConnEventsLayout.TrafficPrograms);
        foreach (var (program, tracepoint) in programs)
        {
            var link = Attach(obj, program, out error);
            if (link is null)
            {
                foreach (var (_, l) in links) l.Dispose();
                obj.Dispose();
                return $"cannot attach to tracepoint {tracepoint}: {error}";
            }
            links.Add((tracepoint, link));
        }
        collector = new EbpfCollector(obj, [.. links], maps[0]!.Value, maps[1]!.Value, maps[2]!.Value, maps[3]!.Value, maps[4]!.Value, maps[5]!.Value,
            options.Traffic ? maps[6] : null, options is { Traffic: true, Conntrack: true } ? maps[7] : null, options, logger);
        return null;
    }

    private static unsafe SafeBpfObjectHandle? Open(byte[] elf, out string? error)
    {
        error = null;
        var name = Encoding.ASCII.GetBytes(ConnEventsLayout.ObjectName + "\0");
        fixed (byte* buffer = elf)
        fixed (byte* n = name)
        {
            var opts = new Interop.Libbpf.BpfObjectOpenOptions { Size = (nuint)sizeof(Interop.Libbpf.BpfObjectOpenOptions), ObjectName = n };
            var obj = Interop.Libbpf.BpfObjectOpenMem(buffer, (nuint)elf.Length, &opts);
            if (!obj.IsInvalid) return obj;
            error = Explain(Marshal.GetLastPInvokeError());
            obj.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Leaves the traffic programs out of the load when traffic is off, so that a kernel without
    /// their tracepoints still loads the rest; false when the object lacks one of them.
    /// </summary>
    private static unsafe bool ChoosePrograms(SafeBpfObjectHandle obj, bool traffic)
    {
        foreach (var (program, _) in ConnEventsLayout.TrafficPrograms)
        {
            var name = Encoding.ASCII.GetBytes(program + "\0");
            fixed (byte* n = name)
            {
                nint prog = Interop.Libbpf.BpfObjectFindProgramByName(obj, n);
                if (prog == 0 || Interop.Libbpf.BpfProgramSetAutoload(prog, traffic) != 0) return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Writes the program's settings (<c>count_pids</c>, <c>count_traffic</c>, <c>count_conns</c>) into the read-only
    /// data it will be loaded with; false when the object has no such map.
    /// </summary>
    private static unsafe bool Configure(SafeBpfObjectHandle obj, EbpfOptions options)
    {
        var name = Encoding.ASCII.GetBytes(ConnEventsLayout.ConfigMap + "\0");
        fixed (byte* n = name)
        {
            nint map = Interop.Libbpf.BpfObjectFindMapByName(obj, n);
            if (map == 0) return false;
            nuint size;
            byte* data = Interop.Libbpf.BpfMapInitialValue(map, &size);
            if (data is null || size < ConnEventsLayout.ConfigSize) return false;
            HostOrder.WriteUInt32(new Span<byte>(data, 4), options.PerPid ? 1u : 0u);
            HostOrder.WriteUInt32(new Span<byte>(data + 4, 4), options.Traffic ? 1u : 0u);
            HostOrder.WriteUInt32(new Span<byte>(data + 8, 4), options is { Traffic: true, Conntrack: true } ? 1u : 0u);
            return true;
        }
    }

    private static string LoadFailure(int errno, string procSelfStatus)
    {
        var detail = LibbpfLog.LastWarning;
        var reason = errno switch
        {
            (int)Interop.Errno.EPERM or (int)Interop.Errno.EACCES =>
                $"the kernel refused to load the programs ({Explain(errno)}): {EbpfPrerequisites.SeccompRefusal(procSelfStatus) ?? EbpfPrerequisites.GrantHint}",
            _ => $"libbpf cannot load {ConnEventsLayout.ResourceName}: {Explain(errno)} (the kernel's BTF at {EbpfPrerequisites.KernelBtfPath} must describe the {ConnEventsLayout.TracepointName} tracepoint)",
        };
        return detail is null ? reason : $"{reason}; libbpf: {detail}";
    }

    private static unsafe BpfMap? FindMap(SafeBpfObjectHandle obj, string name, int keySize, int valueSize, int cpus)
    {
        var bytes = Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* n = bytes)
        {
            nint map = Interop.Libbpf.BpfObjectFindMapByName(obj, n);
            if (map == 0) return null;
            int fd = Interop.Libbpf.BpfMapFd(map);
            return fd < 0 ? null : new BpfMap(name, fd, keySize, valueSize, cpus);
        }
    }

    private static unsafe SafeBpfLinkHandle? Attach(SafeBpfObjectHandle obj, string name, out string? error)
    {
        error = null;
        var program = Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* p = program)
        {
            nint prog = Interop.Libbpf.BpfObjectFindProgramByName(obj, p);
            if (prog == 0)
            {
                error = $"program {name} is missing from the object";
                return null;
            }
            var link = Interop.Libbpf.BpfProgramAttachTrace(prog);
            if (!link.IsInvalid) return link;
            int errno = Marshal.GetLastPInvokeError();
            link.Dispose();
            error = errno is (int)Interop.Errno.EPERM or (int)Interop.Errno.EACCES
                ? $"{Explain(errno)}: {EbpfPrerequisites.GrantHint}"
                : Explain(errno);
            return null;
        }
    }

    private static string Explain(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>
    /// Reads every map. Connects, latencies and accepts are totals since attach: live entries
    /// plus those retired because their cgroup is gone (see <see cref="DeadCgroups"/>).
    /// </summary>
    public ConnEventCounts Read()
    {
        lock (_readGate)
        {
            bool retiring = BeginRetirement();
            var gone = new List<(int Map, byte[] Key, ulong Cgroup)>();

            // True when this pass retires the entry: its cgroup is gone, so its key is noted
            // for deletion (map: the index into _retiredEntries) and its count goes to _retired.
            bool Retires(int map, ReadOnlySpan<byte> key, ulong cgroup)
            {
                if (!retiring || !_dead.IsGone(cgroup)) return false;
                gone.Add((map, key.ToArray(), cgroup));
                return true;
            }

            var connects = new List<ConnectCount>();
            _totals.ForEach((key, values) =>
            {
                ulong cgroup = HostOrder.ReadUInt64(key[ConnEventsLayout.ConnectKeyCgroup..]);
                var family = HostOrder.ReadUInt16(key[ConnEventsLayout.ConnectKeyFamily..]) == ConnEventsLayout.AfInet6 ? IpFamily.IPv6 : IpFamily.IPv4;
                var result = (ConnectResult)HostOrder.ReadUInt16(key[ConnEventsLayout.ConnectKeyResult..]);
                var (unit, container) = Owner(cgroup);
                var count = new ConnectCount(_comms.Get(key), unit, family, result, _totals.Sum(values, 0), container);
                if (Retires(0, key, cgroup)) _retired.Add(count);
                else connects.Add(count);
            });

            var latencies = new List<ConnectLatency>();
            _latency.ForEach((key, values) =>
            {
                ulong cgroup = HostOrder.ReadUInt64(key[ConnEventsLayout.LatencyKeyCgroup..]);
                var slots = new ulong[ConnEventsLayout.LatencySlots];
                for (int i = 0; i < slots.Length; i++) slots[i] = _latency.Sum(values, i * 8);
                double sum = _latency.Sum(values, ConnEventsLayout.LatencyValueSum) / 1e9;
                var (unit, container) = Owner(cgroup);
                var latency = new ConnectLatency(_comms.Get(key), unit, slots, sum, container);
                if (Retires(1, key, cgroup)) _retired.Add(latency);
                else latencies.Add(latency);
            });

            var accepts = new List<AcceptCount>();
            _accepts.ForEach((key, values) =>
            {
                ulong cgroup = HostOrder.ReadUInt64(key);
                var (unit, container) = Owner(cgroup);
                var accept = new AcceptCount(HostOrder.ReadUInt16(key[ConnEventsLayout.AcceptKeyPort..]), unit, _accepts.Sum(values, 0), container);
                if (Retires(2, key, cgroup)) _retired.Add(accept);
                else accepts.Add(accept);
            });

            var traffic = new List<TrafficCount>();
            _traffic?.ForEach((key, values) =>
            {
                ulong cgroup = HostOrder.ReadUInt64(key[ConnEventsLayout.TrafficKeyCgroup..]);
                var count = ReadTraffic(key, values, Owner(cgroup));
                if (Retires(3, key, cgroup)) _retired.Add(count);
                else traffic.Add(count);
            });

            if (_outgoing is not null) ReadOutgoing(traffic, retiring);
            if (retiring) EndRetirement(gone);
            _retired.AppendTo(connects, latencies, accepts);
            _retired.AppendTo(traffic);

            var pids = _options.PerPid ? ReadLivePids() : [];

            Span<ulong> counters = stackalloc ulong[ConnEventsLayout.CounterSlots];
            Span<byte> key4 = stackalloc byte[4];
            var values8 = new byte[_counters.ValueStride * _counters.Copies];
            for (int slot = 0; slot < counters.Length; slot++)
            {
                BitConverter.TryWriteBytes(key4, slot);
                counters[slot] = _counters.TryLookup(key4, values8) ? _counters.Sum(values8, 0) : 0;
            }
            var full = new MapFullCount[]
            {
                new("conn_start", counters[(int)EbpfCounter.StartFull]),
                new(ConnEventsLayout.TotalsMap, counters[(int)EbpfCounter.TotalsFull]),
                new(ConnEventsLayout.LatencyMap, counters[(int)EbpfCounter.LatencyFull]),
                new(ConnEventsLayout.AcceptsMap, counters[(int)EbpfCounter.AcceptsFull]),
                new(ConnEventsLayout.PidsMap, counters[(int)EbpfCounter.PidsFull]),
                new(ConnEventsLayout.CgroupsMap, counters[(int)EbpfCounter.CgroupsFull]),
                new(ConnEventsLayout.TrafficMap, counters[(int)EbpfCounter.TrafficFull]),
                new(ConnEventsLayout.ConnectionsMap, counters[(int)EbpfCounter.ConnectionsFull]),
            };
            var programs = _links.Select(l => new ProgramAttachment(l.Tracepoint, !l.Link.IsClosed)).ToArray();
            return new ConnEventCounts(connects, latencies, accepts, pids, programs, counters[(int)EbpfCounter.NoStart], full)
            {
                Retired =
                [
                    new(ConnEventsLayout.TotalsMap, _retiredEntries[0]),
                    new(ConnEventsLayout.LatencyMap, _retiredEntries[1]),
                    new(ConnEventsLayout.AcceptsMap, _retiredEntries[2]),
                    new(ConnEventsLayout.TrafficMap, _retiredEntries[3]),
                ],
                Traffic = traffic,
            };
        }
    }

    /// <summary>
    /// The outgoing connections counted one by one, as their sums with the real destination;
    /// a label set whose cgroup is gone moves to the retired counts (its kernel entries are
    /// deleted as the connections close, so nothing is left to delete).
    /// </summary>
    private void ReadOutgoing(List<TrafficCount> traffic, bool retiring)
    {
        List<OutgoingTrafficLedger.LabelSet>? gone = null;
        foreach (var (labels, totals) in _outgoing!.Read())
        {
            var (unit, container) = Owner(labels.Cgroup);
            var count = new TrafficCount(labels.Process, unit, container, Direction.Outgoing, labels.Peer, labels.Port, totals, labels.Actual);
            if (retiring && _dead.IsGone(labels.Cgroup))
            {
                _retired.Add(count);
                (gone ??= []).Add(labels);
            }
            else
            {
                traffic.Add(count);
            }
        }
        if (gone is not null)
            foreach (var labels in gone) _outgoing.Forget(labels);
    }

    /// <summary>For tests: how many connect and latency entries in the kernel maps carry <paramref name="comm"/>.</summary>
    internal int KernelEntriesOf(string comm)
    {
        lock (_readGate)
        {
            int entries = 0;
            _totals.ForEach((key, _) => entries += _comms.Get(key) == comm ? 1 : 0);
            _latency.ForEach((key, _) => entries += _comms.Get(key) == comm ? 1 : 0);
            return entries;
        }
    }

    /// <summary>For tests: how many per-process entries in the kernel's conn_pids map carry <paramref name="comm"/>.</summary>
    internal int KernelPidEntriesOf(string comm)
    {
        lock (_readGate)
        {
            int entries = 0;
            _pids.ForEach((_, value) => entries += _comms.Get(value[ConnEventsLayout.PidValueComm..]) == comm ? 1 : 0);
            return entries;
        }
    }

    /// <summary>A retirement pass is due: walk the cgroup mount (a few hundred directories) once.</summary>
    private bool BeginRetirement()
    {
        if (_lastRetirement != 0 && Stopwatch.GetElapsedTime(_lastRetirement) < _options.RetireInterval) return false;
        _lastRetirement = Stopwatch.GetTimestamp();
        var live = _units.LiveIds();
        if (live is null) return false;
        _dead.BeginPass(live);
        return true;
    }

    /// <summary>
    /// Deletes the entries whose counts were just folded into <see cref="_retired"/>. An event
    /// between the read and the delete is lost; only a connect already in flight when its cgroup
    /// went away can land there (and is counted anew, under the unit the program recorded).
    /// </summary>
    private void EndRetirement(List<(int Map, byte[] Key, ulong Cgroup)> gone)
    {
        BpfMap[] maps = [_totals, _latency, _accepts, _traffic ?? _accepts]; // the order of _retiredEntries
        foreach (var (map, key, cgroup) in gone)
        {
            maps[map].Delete(key);
            _retiredEntries[map]++;
            // Its recorded names stay in conn_cgroups (an LRU map) for a late event to find.
            _units.Forget(cgroup);
        }
        _dead.EndPass();
    }

    /// <summary>
    /// Per-pid counts of processes still running; entries of exited processes are deleted so the
    /// series disappears with its process (a reused pid under another name starts from 1 in BPF).
    /// </summary>
    private List<PidConnects> ReadLivePids()
    {
        var live = new List<PidConnects>();
        var dead = new List<byte[]>();
        _pids.ForEach((key, value) =>
        {
            int pid = (int)HostOrder.ReadUInt32(key);
            if (Directory.Exists(Path.Combine(_options.ProcfsRoot, pid.ToString(System.Globalization.CultureInfo.InvariantCulture))))
                live.Add(new PidConnects(pid, _comms.Get(value[ConnEventsLayout.PidValueComm..]), HostOrder.ReadUInt64(value)));
            else
                dead.Add(key.ToArray());
        });
        foreach (var key in dead) _pids.Delete(key);
        return live;
    }

    /// <summary>
    /// The unit and the container of a cgroup id: the container named from the node's files
    /// (the directory caches each id and asks again for one it could not name yet); null for
    /// the host's cgroups, so their series keep exactly the labels they had.
    /// </summary>
    private (string Unit, ContainerIdentity? Container) Owner(ulong cgroup)
    {
        var labels = _units.Labels(cgroup);
        return (labels.Unit, labels.ContainerId is { } id ? _containers.Lookup(id, labels.PodUid) : null);
    }

    private TrafficCount ReadTraffic(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, (string Unit, ContainerIdentity? Container) owner)
    {
        var peer = HostOrder.ReadUInt16(key[ConnEventsLayout.TrafficKeyFamily..]) == ConnEventsLayout.AfInet6
            ? InetAddress.FromIPv6(key.Slice(ConnEventsLayout.TrafficKeyPeer, 16))
            : InetAddress.FromIPv4(key.Slice(ConnEventsLayout.TrafficKeyPeer, 4));
        var totals = new TrafficTotals(
            HostOrder.ReadUInt64(value), HostOrder.ReadUInt64(value[8..]), HostOrder.ReadUInt64(value[16..]),
            HostOrder.ReadUInt64(value[24..]), HostOrder.ReadUInt64(value[32..]));
        return new TrafficCount(_comms.Get(key), owner.Unit, owner.Container,
            (Direction)key[ConnEventsLayout.TrafficKeyDirection], peer.Normalize(),
            HostOrder.ReadUInt16(key[ConnEventsLayout.TrafficKeyPort..]), totals);
    }

    /// <summary>"parent/leaf" of a cgroup as the program recorded it at its first connect or
    /// accept; null when it recorded none.</summary>
    private string? RecordedPath(ulong cgroup)
    {
        Span<byte> key = stackalloc byte[ConnEventsLayout.CgroupKeySize];
        HostOrder.WriteUInt64(key, cgroup);
        Span<byte> names = stackalloc byte[ConnEventsLayout.CgroupNamesSize];
        if (!_cgroups.TryLookup(key, names)) return null;
        string leaf = CString(names[..ConnEventsLayout.CgroupNameLength]);
        string parent = CString(names[ConnEventsLayout.CgroupNameLength..]);
        return leaf.Length == 0 ? null : $"{parent}/{leaf}";
    }

    private static string CString(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    public void Dispose()
    {
        foreach (var (_, link) in _links) link.Dispose();
        _object.Dispose();
    }
}
