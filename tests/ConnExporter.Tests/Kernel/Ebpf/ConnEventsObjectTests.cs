using System.Diagnostics;
using System.Text.RegularExpressions;
using ConnExporter.Kernel.Ebpf;

namespace ConnExporter.Tests.Kernel.Ebpf;

/// <summary>
/// The committed <c>conn_events.bpf.o</c> is what its source compiles to, is what the binary
/// embeds, and has the struct layouts the C# reader assumes.
/// </summary>
public sealed partial class ConnEventsObjectTests
{
    private static string BpfDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ConnExporter.slnx")))
                    return Path.Combine(dir.FullName, "src", "ConnExporter", "Kernel", "Ebpf", "bpf");
            }
            throw new DirectoryNotFoundException("repository root (ConnExporter.slnx) not found above the test assembly");
        }
    }

    private static string CommittedObject => Path.Combine(BpfDirectory, ConnEventsLayout.ResourceName);

    [EbpfToolchainFact]
    public void RebuildingTheSourceGivesTheCommittedObjectByteForByte()
    {
        string output = Path.Combine(Path.GetTempPath(), $"conn_events-{Guid.NewGuid():N}.bpf.o");
        try
        {
            Run("sh", Path.Combine(BpfDirectory, "build.sh"), output);
            Assert.True(File.ReadAllBytes(CommittedObject).AsSpan().SequenceEqual(File.ReadAllBytes(output)),
                "conn_events.bpf.o is stale: run src/ConnExporter/Kernel/Ebpf/bpf/build.sh and commit the object");
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void TheBinaryEmbedsTheCommittedObject()
    {
        using var stream = typeof(EbpfCollector).Assembly.GetManifestResourceStream(ConnEventsLayout.ResourceName);
        Assert.NotNull(stream);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var embedded = copy.ToArray();
        Assert.True(embedded.AsSpan().SequenceEqual(File.ReadAllBytes(CommittedObject)));
        Assert.Equal("\u007fELF"u8.ToArray(), embedded[..4]);
    }

    [EbpfToolchainFact]
    public void StructLayoutsMatchTheReader()
    {
        var btf = Run("bpftool", "btf", "dump", "file", CommittedObject);
        Assert.Equal(ConnEventsLayout.ConnectKeySize, StructSize(btf, "connect_key"));
        Assert.Equal(ConnEventsLayout.ConnectKeyCgroup, FieldOffset(btf, "connect_key", "cgroup_id"));
        Assert.Equal(ConnEventsLayout.ConnectKeyFamily, FieldOffset(btf, "connect_key", "family"));
        Assert.Equal(ConnEventsLayout.ConnectKeyResult, FieldOffset(btf, "connect_key", "result"));
        Assert.Equal(ConnEventsLayout.LatencyKeySize, StructSize(btf, "latency_key"));
        Assert.Equal(ConnEventsLayout.LatencyKeyCgroup, FieldOffset(btf, "latency_key", "cgroup_id"));
        Assert.Equal(ConnEventsLayout.LatencyValueSize, StructSize(btf, "latency_value"));
        Assert.Equal(ConnEventsLayout.LatencyValueSum, FieldOffset(btf, "latency_value", "sum_ns"));
        Assert.Equal(ConnEventsLayout.AcceptKeySize, StructSize(btf, "accept_key"));
        Assert.Equal(ConnEventsLayout.AcceptKeyPort, FieldOffset(btf, "accept_key", "port"));
        Assert.Equal(ConnEventsLayout.AcceptKeyFamily, FieldOffset(btf, "accept_key", "family"));
        Assert.Equal(ConnEventsLayout.PidValueSize, StructSize(btf, "pid_value"));
        Assert.Equal(ConnEventsLayout.PidValueComm, FieldOffset(btf, "pid_value", "comm"));
        // sum_ns follows the slots array, so its offset also pins the slot count.
        Assert.Equal(ConnEventsLayout.LatencySlots * 8, FieldOffset(btf, "latency_value", "sum_ns"));
        Assert.Equal(ConnEventsLayout.LatencySlots, ConnEventsLayout.LatencyBounds.Length + 1);
        Assert.Equal(ConnEventsLayout.TrafficKeySize, StructSize(btf, "traffic_key"));
        Assert.Equal(ConnEventsLayout.TrafficKeyCgroup, FieldOffset(btf, "traffic_key", "cgroup_id"));
        Assert.Equal(ConnEventsLayout.TrafficKeyPeer, FieldOffset(btf, "traffic_key", "peer"));
        Assert.Equal(ConnEventsLayout.TrafficKeyPort, FieldOffset(btf, "traffic_key", "port"));
        Assert.Equal(ConnEventsLayout.TrafficKeyFamily, FieldOffset(btf, "traffic_key", "family"));
        Assert.Equal(ConnEventsLayout.TrafficKeyDirection, FieldOffset(btf, "traffic_key", "direction"));
        Assert.Equal(ConnEventsLayout.TrafficValueSize, StructSize(btf, "traffic_value"));
        Assert.Equal(ConnEventsLayout.TrafficSocketSize, StructSize(btf, "traffic_socket"));
        Assert.Equal(ConnEventsLayout.ConnectionKeySize, StructSize(btf, "conn_id"));
        Assert.Equal(ConnEventsLayout.ConnectionValueSize, StructSize(btf, "conn_traffic"));
        Assert.Equal(ConnEventsLayout.ConnectionTotals, FieldOffset(btf, "conn_traffic", "totals"));
        Assert.Equal(ConnEventsLayout.ConnectionLocal, FieldOffset(btf, "conn_traffic", "local"));
        Assert.Equal(ConnEventsLayout.ConnectionLocalPort, FieldOffset(btf, "conn_traffic", "local_port"));
        Assert.Equal(ConnEventsLayout.ConnectionClosed, FieldOffset(btf, "conn_traffic", "closed"));
    }

    [EbpfToolchainFact]
    public void SourceNamesTheMapsAndProgramTheReaderLooksFor()
    {
        var source = File.ReadAllText(Path.Combine(BpfDirectory, "conn_events.bpf.c"));
        foreach (var map in new[] { ConnEventsLayout.TotalsMap, ConnEventsLayout.LatencyMap, ConnEventsLayout.AcceptsMap, ConnEventsLayout.PidsMap, ConnEventsLayout.CountersMap, ConnEventsLayout.TrafficMap, ConnEventsLayout.ConnectionsMap })
            Assert.Contains($"}} {map} SEC(\".maps\");", source);
        Assert.Contains($"int BPF_PROG({ConnEventsLayout.ProgramName},", source);
        foreach (var (program, tracepoint) in ConnEventsLayout.TrafficPrograms)
        {
            Assert.Contains($"int BPF_PROG({program},", source);
            Assert.Contains($"SEC(\"tp_btf/{tracepoint[(tracepoint.IndexOf(':') + 1)..]}\")", source);
        }
        // A BTF raw tracepoint: attached by the bpf syscall alone, never through tracefs or perf_event_open.
        Assert.Contains($"SEC(\"tp_btf/{ConnEventsLayout.TracepointName}\")", source);
        Assert.DoesNotContain("SEC(\"tracepoint/", source);
        Assert.Contains($"#define COUNTER_SLOTS {ConnEventsLayout.CounterSlots}", source);
    }

    private static int StructSize(string btf, string name)
    {
        var m = Regex.Match(btf, $@"STRUCT '{name}' size=(\d+)");
        Assert.True(m.Success, $"struct {name} not in BTF");
        return int.Parse(m.Groups[1].Value);
    }

    private static int FieldOffset(string btf, string type, string field)
    {
        int start = btf.IndexOf($"STRUCT '{type}'", StringComparison.Ordinal);
        Assert.True(start >= 0, $"struct {type} not in BTF");
        var m = Regex.Match(btf[start..], $@"'{field}' type_id=\d+ bits_offset=(\d+)");
        Assert.True(m.Success, $"{type}.{field} not in BTF");
        return int.Parse(m.Groups[1].Value) / 8;
    }

    /// <summary>Runs a tool to its end; its stdout, or a failed assertion with its stderr.</summary>
    internal static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {p.ExitCode}: {stderr}");
        return stdout.Result;
    }
}
