using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Net;
using System.Runtime.Versioning;
using ConnExporter.Tests.Infrastructure;
using ConnExporter.Tests.Systemd;

namespace ConnExporter.Tests.EndToEnd;

/// <summary>
/// The OpenRC and runit scripts, shipped files unchanged, run on the host without booting
/// either init: runit's runsv supervises a service directory directly, OpenRC's rc-service runs
/// once /run/openrc/softlevel exists. Neither grants capabilities; the scripts' setpriv does:
/// the exporter runs as nobody and still names the root-owned test process holding a socket.
/// </summary>
// Their processes (containers, supervised exporters) would show in host-wide /proc scans
// other tests measure: run with the other host-process tests, after the parallel ones.
[Collection(HostProcessesCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class InitScriptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("conn-exporter-e2e-init-").FullName;
    private readonly TcpListener _rootListener = new(IPAddress.Loopback, 0);
    private readonly int _port = FreePort();

    public InitScriptTests()
    {
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        // The shipped wrapper, told where this test run's build is.
        var launcher = Path.Combine(_dir, "launch");
        File.WriteAllText(launcher,
            $"#!/bin/sh\nCONN_EXPORTER_HOME={ExporterBuild.Directory} exec {E2eEnvironment.Packaging("conn-exporter.sh")} \"$@\"\n");
        File.SetUnixFileMode(launcher, (UnixFileMode)0b111_101_101);
        _rootListener.Start();
    }

    private int RootPort => ((IPEndPoint)_rootListener.LocalEndpoint).Port;

    private string Settings(string launcher) =>
        $"CONN_EXPORTER_BIN={launcher}\nCONN_EXPORTER_USER=nobody\nCONN_EXPORTER_GROUP=nogroup\n" +
        $"CONN_EXPORTER_ARGS=\"--web.listen-address=127.0.0.1:{_port} --log.level=debug\"\n";

    [RootFact]
    public void Runit_run_script_starts_restarts_and_stops_the_exporter_with_its_capabilities()
    {
        var service = Path.Combine(_dir, "sv", "conn-exporter");
        Directory.CreateDirectory(service);
        File.Copy(E2eEnvironment.Deploy("runit", "conn-exporter", "run"), Path.Combine(service, "run"));
        File.SetUnixFileMode(Path.Combine(service, "run"), (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(service, "conf"), Settings(Path.Combine(_dir, "launch")));

        var psi = new ProcessStartInfo(E2eEnvironment.RunitBin("runsv")) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(service);
        using var runsv = Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        runsv.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        runsv.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        runsv.BeginOutputReadLine();
        runsv.BeginErrorReadLine();
        var sv = E2eEnvironment.RunitBin("sv");
        try
        {
            var first = WaitForExporter(() => Log(output));
            AssertRunsAsNobodyWithCapabilities(first);
            AssertNamesRootOwner(() => Log(output));

            HostCommand.Check(sv, ["restart", service]);
            var second = WaitForExporter(() => Log(output), notPid: first);
            Assert.NotEqual(first, second);

            HostCommand.Check(sv, ["-w", "15", "down", service]);
            Assert.False(Scrape(out _), "still answering after sv down:\n" + Log(output));
            Assert.False(Directory.Exists($"/proc/{second}"), "the exporter survived sv down");
        }
        finally
        {
            HostCommand.Run(sv, ["-w", "15", "exit", service]);
            if (!runsv.WaitForExit(15_000)) runsv.Kill(entireProcessTree: true);
        }
    }

    [RootFact]
    public void OpenRC_script_starts_restarts_and_stops_the_exporter_with_its_capabilities()
    {
        Directory.CreateDirectory("/run/openrc");
        if (!File.Exists("/run/openrc/softlevel")) File.WriteAllText("/run/openrc/softlevel", "");
        var name = "conn-exporter-e2e-" + Guid.NewGuid().ToString("N")[..6];
        var script = Path.Combine("/etc/init.d", name);
        var conf = Path.Combine("/etc/conf.d", name);
        var log = Path.Combine(_dir, "openrc.log");
        File.Copy(E2eEnvironment.Deploy("openrc", "conn-exporter"), script);
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory("/etc/conf.d");
        File.WriteAllText(conf, Settings(Path.Combine(_dir, "launch")) + $"CONN_EXPORTER_LOG={log}\n");
        string Log() => File.Exists(log) ? File.ReadAllText(log) : "(no log)";
        try
        {
            HostCommand.Check("rc-service", [name, "start"], TimeSpan.FromSeconds(60));
            var first = WaitForExporter(Log);
            AssertRunsAsNobodyWithCapabilities(first);
            AssertNamesRootOwner(Log);
            Assert.Contains("started", HostCommand.Run("rc-service", [name, "status"]).Stdout, StringComparison.Ordinal);

            HostCommand.Check("rc-service", [name, "restart"], TimeSpan.FromSeconds(60));
            var second = WaitForExporter(Log, notPid: first);
            Assert.NotEqual(first, second);

            // supervise-daemon restarts an exporter that dies.
            HostCommand.Check("kill", ["-KILL", second.ToString(CultureInfo.InvariantCulture)]);
            var third = WaitForExporter(Log, notPid: second);
            Assert.NotEqual(second, third);

            HostCommand.Check("rc-service", [name, "stop"], TimeSpan.FromSeconds(60));
            Assert.False(Scrape(out _), "still answering after rc-service stop:\n" + Log());
            Assert.False(Directory.Exists($"/proc/{third}"), "the exporter survived rc-service stop");
        }
        finally
        {
            HostCommand.Run("rc-service", [name, "stop"], TimeSpan.FromSeconds(60));
            HostCommand.Run("rc-service", [name, "zap"], TimeSpan.FromSeconds(30));
            File.Delete(script);
            File.Delete(conf);
        }
    }

    /// <summary>Waits until the exporter answers and returns the pid listening on our port.</summary>
    private int WaitForExporter(Func<string> log, int notPid = 0)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (Scrape(out _) && ListenerPid() is { } pid && pid != notPid) return pid;
            Thread.Sleep(200);
        }
        throw new TimeoutException($"the exporter did not answer on 127.0.0.1:{_port}:\n{log()}");
    }

    private void AssertRunsAsNobodyWithCapabilities(int pid)
    {
        var status = File.ReadAllLines($"/proc/{pid}/status");
        string Field(string name) => status.First(l => l.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim();
        Assert.Equal("65534", Field("Uid:").Split('\t')[0]);
        // dac_read_search (2), sys_ptrace (19), perfmon (38), bpf (39) and nothing else.
        const ulong listed = (1UL << 2) | (1UL << 19) | (1UL << 38) | (1UL << 39);
        Assert.Equal(listed, ulong.Parse(Field("CapEff:"), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.Equal(listed, ulong.Parse(Field("CapAmb:"), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.Equal("1", Field("NoNewPrivs:"));
    }

    private void AssertNamesRootOwner(Func<string> log)
    {
        // This test process is root; its listener's owner is only readable with the capabilities.
        var clock = Stopwatch.StartNew();
        string line = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (Scrape(out var metrics))
            {
                line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("conn_listeners_info{", StringComparison.Ordinal)
                    && l.Contains($"port=\"{RootPort}\"", StringComparison.Ordinal)) ?? "";
                if (line.Length > 0) break;
            }
            Thread.Sleep(200);
        }
        Assert.True(line.Length > 0, $"no conn_listeners_info for port {RootPort}:\n{log()}");
        Assert.DoesNotContain("process=\"\"", line, StringComparison.Ordinal);
    }

    private bool Scrape(out string metrics)
    {
        var r = HostCommand.Run("curl", ["-sf", "--max-time", "10", $"http://127.0.0.1:{_port}/metrics"]);
        metrics = r.Stdout;
        return r.ExitCode == 0 && metrics.Contains("conn_sockets", StringComparison.Ordinal);
    }

    private int? ListenerPid()
    {
        var r = HostCommand.Run("ss", ["-Htlnp", $"sport = :{_port}"]);
        var at = r.Stdout.IndexOf("pid=", StringComparison.Ordinal);
        if (at < 0) return null;
        var end = r.Stdout.IndexOf(',', at);
        return int.Parse(r.Stdout[(at + 4)..end], CultureInfo.InvariantCulture);
    }

    private static string Log(System.Text.StringBuilder output)
    {
        lock (output) return output.ToString();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _rootListener.Stop();
        _rootListener.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
