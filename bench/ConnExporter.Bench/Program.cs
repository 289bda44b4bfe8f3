using System.Diagnostics;
using System.Globalization;
using ConnExporter.Inventory;
using Microsoft.Extensions.Logging.Abstractions;

// Times InventoryCollector.Take() in this process through the public API, interleaved with
// runs of the `ss` command it is compared with, so both see the same machine load. Run it
// inside the namespace under test with stdout on /dev/null (ss inherits it); the result is one
// JSON object written to --out:
//
//   first_ms   the very first Take() of the process: JIT, type loading and empty caches
//   cold_ms    median first Take() of a fresh collector (empty caches, JIT warm)
//   steady_ms  median Take() on one collector reused across rounds (caches warm)
//   ss_ms      median wall time of the whole `ss` command (fork, exec, dump, print)
//   source_ms  median time of the bare source read (kernel dump and parsing, nothing else):
//              the floor under any Take()
//
// Each round runs ss once, then (in rotating order) one fresh collector, the bare source read
// and the steady collector once each.
var owners = Arg("owners", "true") == "true";
int rounds = int.Parse(Arg("rounds", "11"), CultureInfo.InvariantCulture);
var ssArgs = Arg("ss", owners ? "-tanp" : "-tan");
var output = Arg("out", "");
var kinds = Arg("kinds", "tcp") switch
{
    "tcp" => SocketKinds.Tcp,
    "all" => SocketKinds.All,
    var other => throw new ArgumentException($"--kinds: tcp or all, not {other}"),
};
// Like `ss -tan`, the kernel is not asked for tcp_info unless --tcp-info=true (the exporter asks
// only when its tcpinfo collector is on).
var tcpInfo = Arg("tcp-info", "false") == "true";
// --cpu=N pins the measuring thread to CPU N, and with it every ss it starts (a child inherits
// the affinity of the thread that forks it): ss and our Take() then run on the same CPU with the
// same caches, while the runtime's helper threads (JIT, GC) stay free to use the others. Without
// it the scheduler may put ss on a busier CPU than ours, or the other way round.
int cpu = int.Parse(Arg("cpu", "-1"), CultureInfo.InvariantCulture);
if (cpu >= 0)
{
    ulong mask = 1UL << cpu;
    if (Affinity.sched_setaffinity(0, sizeof(ulong), ref mask) != 0)
        throw new InvalidOperationException($"sched_setaffinity(cpu {cpu}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
}
var options = new InventoryOptions(Source: Arg("source", SocketSources.Netlink), Kinds: kinds, ResolveOwners: owners, TcpInfo: tcpInfo);

var sw = Stopwatch.StartNew();
int sockets;
using (var first = new InventoryCollector(options, NullLogger.Instance))
    sockets = first.Take().Connections.Count;
double firstMs = sw.Elapsed.TotalMilliseconds;

RunSs(ssArgs); // warm-up: page cache for the binary and its libraries
var ss = new List<double>();
var cold = new List<double>();
var steady = new List<double>();
var bare = new List<double>();
var source = options.Source == SocketSources.Netlink ? new ConnExporter.Kernel.Netlink.SockDiagSource(tcpInfo) : null;
var sink = new List<SocketRecord>();
// Where Take() keeps tcp_info when it asks for it: the bare read does the same work.
var tcpSink = tcpInfo ? new List<TcpHealth?>() : null;
long allocated = 0;
int gen0 = 0, gen2 = 0;
using (var reused = new InventoryCollector(options, NullLogger.Instance))
{
    reused.Take();
    // ss opens each round (the pairing); the three of ours then rotate, so that none of them
    // always runs right after ss (its process start and 40k lines of output cool the caches)
    // and none always pays for the garbage another left.
    Action[] ours = [Fresh, Bare, Steady];
    for (int round = 0; round < rounds; round++)
    {
        ss.Add(RunSs(ssArgs));
        for (int k = 0; k < ours.Length; k++) ours[(round + k) % ours.Length]();
    }

    void Fresh()
    {
        using var fresh = new InventoryCollector(options, NullLogger.Instance);
        sw.Restart();
        fresh.Take();
        cold.Add(sw.Elapsed.TotalMilliseconds);
    }

    void Bare()
    {
        if (source is null) return;
        sink.Clear();
        tcpSink?.Clear();
        sw.Restart();
        source.Read(kinds, sink, tcpSink);
        bare.Add(sw.Elapsed.TotalMilliseconds);
    }

    void Steady()
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        int g0 = GC.CollectionCount(0), g2 = GC.CollectionCount(2);
        sw.Restart();
        reused.Take();
        steady.Add(sw.Elapsed.TotalMilliseconds);
        allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
        gen0 += GC.CollectionCount(0) - g0;
        gen2 += GC.CollectionCount(2) - g2;
    }
}

var json = string.Create(CultureInfo.InvariantCulture,
    $"{{\"owners\":{(owners ? "true" : "false")},\"tcp_info\":{(tcpInfo ? "true" : "false")},\"ss_args\":\"{ssArgs}\",\"sockets\":{sockets},\"rounds\":{rounds}," +
    $"\"cpu\":{cpu},\"first_ms\":{firstMs:F2},\"cold_ms\":{Median(cold):F2},\"steady_ms\":{Median(steady):F2},\"ss_ms\":{Median(ss):F2}," +
    $"\"source_ms\":{(bare.Count > 0 ? Median(bare) : 0):F2}," +
    $"\"ss_samples_ms\":[{Join(ss)}],\"cold_samples_ms\":[{Join(cold)}],\"steady_samples_ms\":[{Join(steady)}]," +
    $"\"alloc_bytes_per_steady_take\":{allocated / rounds},\"gen0_per_steady_take\":{(double)gen0 / rounds:F2}," +
    $"\"gen2_per_steady_take\":{(double)gen2 / rounds:F2},\"working_set_mb\":{Environment.WorkingSet / 1048576.0:F1}}}");
if (output.Length == 0) Console.Error.WriteLine(json);
else File.WriteAllText(output, json + "\n");
return 0;

// ss as a whole command, as a user would run it; its output goes where ours does (/dev/null).
static double RunSs(string arguments)
{
    var start = new ProcessStartInfo("ss", arguments) { UseShellExecute = false };
    long t = Stopwatch.GetTimestamp();
    using var process = Process.Start(start) ?? throw new InvalidOperationException("ss did not start");
    process.WaitForExit();
    double ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    if (process.ExitCode != 0) throw new InvalidOperationException($"ss {arguments} exited with {process.ExitCode}");
    return ms;
}

string Arg(string name, string fallback)
{
    var prefix = $"--{name}=";
    var hit = args.FirstOrDefault(a => a.StartsWith(prefix, StringComparison.Ordinal));
    return hit is null ? fallback : hit[prefix.Length..];
}

static string Join(List<double> values) => string.Join(",", values.Select(v => v.ToString("F2", CultureInfo.InvariantCulture)));

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    int mid = sorted.Length / 2;
    return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

static partial class Affinity
{
    // pid 0: the calling thread (sched_setaffinity(2) works on threads).
    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    internal static partial int sched_setaffinity(int pid, nint cpusetsize, ref ulong mask);
}
