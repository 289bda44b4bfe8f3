using System.Diagnostics;
using System.Text.Json;

namespace ConnExporter.Tests.Infrastructure;

/// <summary>
/// A namespace holding the socket mix of <c>Scenarios/host_sockets.py</c>: listeners on the tun
/// link (IPv4, IPv6), established pairs, a dual-stack listener with IPv4 clients, TIME_WAIT,
/// a 127.0.0.53 UDP stub, connected/unconnected/device-bound UDP, a listener shared by two
/// processes and a process with a hostile name. Shared by a test class (IClassFixture).
/// </summary>
public sealed class HostScenario : IDisposable
{
    private readonly Process? _script;

    public TestNamespace? Namespace { get; }
    public int MainPid { get; }
    public int SharedChildPid { get; }
    public int HostilePid { get; }
    public string HostileName { get; } = "";

    public HostScenario()
    {
        if (!Environment.IsPrivilegedProcess) return; // the [RootFact] tests using it skip or fail
        Namespace = new TestNamespace("cxs");
        var script = Path.Combine(TestEnvironment.BaseDirectory, "Scenarios", "host_sockets.py");
        _script = Namespace.Start("python3", [script, Namespace.TunIPv4, TestNamespace.TunIPv6]);
        var line = _script.StandardOutput.ReadLine()
            ?? throw new InvalidOperationException("scenario exited early: " + _script.StandardError.ReadToEnd());
        if (!line.StartsWith("ready ", StringComparison.Ordinal))
            throw new InvalidOperationException("scenario said: " + line);
        using var doc = JsonDocument.Parse(line[6..]);
        var pids = doc.RootElement.GetProperty("pids");
        MainPid = pids.GetProperty("main").GetInt32();
        SharedChildPid = pids.GetProperty("shared_child").GetInt32();
        HostilePid = pids.GetProperty("hostile").GetInt32();
        HostileName = doc.RootElement.GetProperty("hostile_name").GetString()!;
    }

    public TestNamespace Ns => Namespace ?? throw new InvalidOperationException("needs root");

    public void Dispose()
    {
        try { _script?.StandardInput.Close(); } catch (IOException) { }
        Namespace?.Dispose();
    }
}
