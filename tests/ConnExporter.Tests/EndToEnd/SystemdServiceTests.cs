using System.Globalization;
using System.Runtime.Versioning;
using ConnExporter.Tests.Infrastructure;
using ConnExporter.Tests.Systemd;

namespace ConnExporter.Tests.EndToEnd;

/// <summary>
/// The shipped units, unchanged, under a real systemd as PID 1 (one container for the class;
/// each test starts from every exporter unit stopped and no test drop-in).
/// </summary>
// Their processes (containers, supervised exporters) would show in host-wide /proc scans
// other tests measure: run with the other host-process tests, after the parallel ones.
[Collection(HostProcessesCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class SystemdServiceTests : IClassFixture<InstalledContainer>
{
    private const string Service = "conn-exporter.service";
    private const string TestDropIns = "/run/systemd/system/conn-exporter.service.d";

    // capabilities(7) bit numbers: CAP_DAC_READ_SEARCH 2, CAP_SYS_PTRACE 19, CAP_PERFMON 38, CAP_BPF 39.
    private const ulong ListedCapabilities = (1UL << 2) | (1UL << 19) | (1UL << 38) | (1UL << 39);

    private readonly SystemdContainer _c;

    public SystemdServiceTests(InstalledContainer fixture)
    {
        _c = fixture.Container;
        _c.Check($"systemctl stop conn-exporter.socket conn-exporter-https.socket {Service} conn-exporter-inventory.service " +
                 "e2e-holder.service 2>/dev/null; " +
                 $"rm -rf {TestDropIns}; systemctl daemon-reload; systemctl reset-failed; true");
    }

    [RootFact]
    public void Service_starts_when_ready_answers_metrics_and_shows_its_status()
    {
        // Type=notify: start returns only after READY=1.
        _c.Check($"systemctl start {Service}", TimeSpan.FromSeconds(90));
        Assert.Equal("active", _c.Property(Service, "ActiveState"));
        var metrics = _c.Check("curl -sf http://127.0.0.1:9811/metrics");
        Assert.Contains("conn_sockets{", metrics, StringComparison.Ordinal);
        Assert.Contains("conn_listeners_info{", metrics, StringComparison.Ordinal);

        // STATUS= from the daemon reaches systemctl status.
        _c.WaitFor(() => _c.Property(Service, "StatusText").Contains("sockets via", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "StatusText names the socket count");
        var status = _c.Run($"systemctl status --no-pager --lines=0 {Service}").Stdout;
        Assert.Contains("Status: \"", status, StringComparison.Ordinal);

        // The watchdog is armed from the unit (WATCHDOG_USEC reaches the daemon) and the
        // daemon keeps it fed: still the same process well after a ping interval.
        Assert.Equal("30s", _c.Property(Service, "WatchdogUSec"));

        // systemctl reload: SIGHUP, RELOADING=1 ... READY=1, same process.
        var pid = _c.Property(Service, "MainPID");
        _c.Check($"systemctl reload {Service}", TimeSpan.FromSeconds(30));
        Assert.Equal("active", _c.Property(Service, "ActiveState"));
        Assert.Equal(pid, _c.Property(Service, "MainPID"));
    }

    [RootFact]
    public void Without_netlink_the_service_falls_back_to_procfs_with_one_warning()
    {
        // An empty assignment resets the unit's allow list; the next one replaces it.
        _c.Check($"mkdir -p {TestDropIns} && printf '[Service]\\nRestrictAddressFamilies=\\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\\n' " +
                 $"> {TestDropIns}/50-no-netlink.conf && systemctl daemon-reload");
        var since = _c.Check("date +%s").Trim();
        var started = _c.Run($"systemctl start {Service}");
        Assert.True(started.ExitCode == 0, _c.Run($"journalctl --no-pager -u {Service} --since=@{since} -o cat").Stdout);
        Assert.Equal("active", _c.Property(Service, "ActiveState"));
        var metrics = _c.Check("curl -sf http://127.0.0.1:9811/metrics");
        _c.Check("curl -sf http://127.0.0.1:9811/metrics");
        Assert.Contains("conn_exporter_collector_success{collector=\"inventory\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("conn_listeners_info{", metrics, StringComparison.Ordinal);
        _c.WaitFor(() => _c.Property(Service, "StatusText").Contains("via procfs", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "StatusText says the sockets come from procfs");
        var warnings = _c.Check($"journalctl --no-pager -u {Service} --since=@{since} -p warning -o cat").Split('\n');
        Assert.Contains("netlink", Assert.Single(warnings, l => l.Contains("falling back", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Single(warnings, l => l.Contains("interface addresses come from ioctls", StringComparison.Ordinal));
        // The interface table works without netlink: the loopback listener of the exporter is on lo or any, never unknown.
        Assert.DoesNotContain("interface=\"unknown\"", metrics, StringComparison.Ordinal);
    }

    [RootFact]
    public void Service_runs_as_a_dynamic_user_with_exactly_the_listed_capabilities()
    {
        _c.Check($"systemctl start {Service}", TimeSpan.FromSeconds(90));
        var pid = _c.Property(Service, "MainPID");
        var status = _c.Check($"cat /proc/{pid}/status");
        var uid = Field(status, "Uid:").Split('\t', StringSplitOptions.RemoveEmptyEntries)[0];
        Assert.NotEqual("0", uid);
        Assert.Equal(ListedCapabilities, ulong.Parse(Field(status, "CapEff:"), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.Equal(ListedCapabilities, ulong.Parse(Field(status, "CapBnd:"), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        Assert.Equal("1", Field(status, "NoNewPrivs:"));
        Assert.Equal("2", Field(status, "Seccomp:"));
    }

    /// <summary>The shipped binary is Native AOT: no JIT, so the units deny writable executable
    /// memory, and the running daemon, its eBPF collector included, works under it.</summary>
    [RootTheory]
    [InlineData(Service, 2.0)]
    [InlineData("conn-exporter-inventory.service", 1.2)]
    public void Native_executable_runs_with_memory_deny_write_execute(string unit, double most)
    {
        _c.Check($"systemctl start {unit}", TimeSpan.FromSeconds(90));
        Assert.Equal("active", _c.Property(unit, "ActiveState"));
        Assert.Equal("yes", _c.Property(unit, "MemoryDenyWriteExecute"));
        var pid = _c.Property(unit, "MainPID");
        Assert.Equal("/usr/lib/conn-exporter/conn-exporter", _c.Check($"readlink /proc/{pid}/exe").Trim());
        var maps = _c.Check($"cat /proc/{pid}/maps");
        Assert.DoesNotContain("libcoreclr", maps, StringComparison.Ordinal);
        Assert.DoesNotContain(maps.Split('\n'), l => l.Split(' ') is [_, var perms, ..] && perms.Contains('w') && perms.Contains('x'));
        var metrics = _c.Check("curl -sf http://127.0.0.1:9811/metrics");
        Assert.Contains("conn_exporter_collector_success{collector=\"inventory\"} 1", metrics, StringComparison.Ordinal);
        if (unit == Service)
            Assert.Contains("conn_exporter_collector_success{collector=\"ebpf\"} 1", metrics, StringComparison.Ordinal);

        // The exposure the running systemd (not the offline analysis) rates the unit at.
        var security = _c.Check($"systemd-analyze security --no-pager {unit}");
        var m = System.Text.RegularExpressions.Regex.Match(security, @"Overall exposure level for \S+: (\d+\.\d+)");
        Assert.True(m.Success, security);
        Assert.True(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) <= most, security);
        Assert.Contains("✓ MemoryDenyWriteExecute=", security, StringComparison.Ordinal);
        Console.WriteLine($"{unit}: running exposure {m.Groups[1].Value}");
    }

    [RootFact]
    public void Dynamic_user_reads_a_root_process_socket_owner_only_with_its_capabilities()
    {
        _c.Check("systemd-run --unit=e2e-holder nc -lk 127.0.0.1 7777");
        _c.WaitFor(() => _c.Run("ss -Htln 'sport = :7777'").Stdout.Contains("7777", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "nc listens on 7777");
        _c.Check($"systemctl start {Service}", TimeSpan.FromSeconds(90));
        var withCaps = ListenerLine(7777);
        Assert.Contains("process=\"nc\"", withCaps, StringComparison.Ordinal);
        Assert.Contains("unit=\"e2e-holder.service\"", withCaps, StringComparison.Ordinal);

        // Control: the same unit without its ambient capabilities cannot see root's fds.
        _c.Check($"systemctl stop {Service}; mkdir -p {TestDropIns}; " +
                 $"printf '[Service]\\nAmbientCapabilities=\\n' > {TestDropIns}/50-e2e-nocaps.conf; systemctl daemon-reload");
        _c.Check($"systemctl start {Service}", TimeSpan.FromSeconds(90));
        var withoutCaps = ListenerLine(7777);
        Assert.DoesNotContain("process=\"nc\"", withoutCaps, StringComparison.Ordinal);
    }

    [RootFact]
    public void Socket_activation_starts_the_service_on_the_first_scrape()
    {
        _c.Check("systemctl start conn-exporter.socket");
        Assert.Equal("inactive", _c.Property(Service, "ActiveState"));
        var before = _c.Run($"systemctl status --no-pager --lines=0 {Service}").Stdout;
        Assert.Contains("TriggeredBy:", before, StringComparison.Ordinal);
        Assert.Contains("conn-exporter.socket", before, StringComparison.Ordinal);

        // The first connection is queued by systemd and answered once the service is ready.
        var metrics = _c.Check("curl -sf --max-time 60 http://127.0.0.1:9811/metrics", TimeSpan.FromSeconds(90));
        Assert.Contains("conn_sockets{", metrics, StringComparison.Ordinal);
        Assert.Equal("active", _c.Property(Service, "ActiveState"));
        Assert.Equal("active", _c.Property("conn-exporter.socket", "ActiveState"));

        // It got systemd's socket, by name, rather than binding its own.
        var pid = _c.Property(Service, "MainPID");
        var environment = _c.Check($"tr '\\0' '\\n' < /proc/{pid}/environ");
        Assert.Contains("LISTEN_FDNAMES=metrics", environment, StringComparison.Ordinal);
        var listeners = _c.Check("ss -Htlnp 'sport = :9811'");
        Assert.Contains("systemd", listeners, StringComparison.Ordinal);
    }

    [RootFact]
    public void Watchdog_kills_a_stopped_exporter_and_systemd_restarts_it()
    {
        // Test-only drop-in: the shipped 30 s would make this test slow, not different.
        _c.Check($"mkdir -p {TestDropIns}; printf '[Service]\\nWatchdogSec=3s\\n' > {TestDropIns}/50-e2e-watchdog.conf; " +
                 "systemctl daemon-reload");
        _c.Check($"systemctl start {Service}", TimeSpan.FromSeconds(90));
        var restarts = int.Parse(_c.Property(Service, "NRestarts"), CultureInfo.InvariantCulture);
        var pid = _c.Property(Service, "MainPID");

        _c.Check($"kill -STOP {pid}");
        _c.WaitFor(() => int.Parse(_c.Property(Service, "NRestarts"), CultureInfo.InvariantCulture) > restarts
                         && _c.Property(Service, "ActiveState") == "active",
            TimeSpan.FromSeconds(60), "the watchdog killed the stopped exporter and it was restarted");
        Assert.NotEqual(pid, _c.Property(Service, "MainPID"));
        var journal = _c.Check($"journalctl --no-pager -u {Service}");
        Assert.Contains("Watchdog timeout", journal, StringComparison.Ordinal);
        Assert.Contains("SIGKILL", journal, StringComparison.Ordinal);
        Assert.Contains("conn_sockets{", _c.Check("curl -sf http://127.0.0.1:9811/metrics"), StringComparison.Ordinal);
    }

    [RootFact]
    public void Inventory_variant_serves_without_capabilities_or_owners()
    {
        _c.Check("systemctl start conn-exporter-inventory.service", TimeSpan.FromSeconds(90));
        var pid = _c.Property("conn-exporter-inventory.service", "MainPID");
        var status = _c.Check($"cat /proc/{pid}/status");
        Assert.Equal(0UL, ulong.Parse(Field(status, "CapEff:"), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        var metrics = _c.Check("curl -sf http://127.0.0.1:9811/metrics");
        Assert.Contains("conn_sockets{", metrics, StringComparison.Ordinal);
        Assert.Contains("conn_interface_sockets{", metrics, StringComparison.Ordinal);
        var families = metrics.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(families, l => l.StartsWith("# TYPE conn_listeners_info ", StringComparison.Ordinal));
        Assert.DoesNotContain(families, l => l.StartsWith("# TYPE conn_process_sockets ", StringComparison.Ordinal));
        Assert.Contains(families, l => l.StartsWith("# TYPE conn_sockets ", StringComparison.Ordinal));
    }

    [RootFact]
    public void Journal_gets_the_daemon_log_with_priorities()
    {
        _c.Check($"systemctl start {Service}", TimeSpan.FromSeconds(90));
        // Informational lines arrive as priority 6, not as the default 3/err nor with a <6> prefix.
        _c.WaitFor(() => _c.Run($"journalctl --no-pager -u {Service} -p info..info -o cat").Stdout
                .Contains("first collection", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the first-collection log line is in the journal at info");
        var text = _c.Check($"journalctl --no-pager -u {Service} -o cat");
        Assert.DoesNotContain("<6>", text, StringComparison.Ordinal);
    }

    private string ListenerLine(int port)
    {
        string line = "";
        _c.WaitFor(() =>
        {
            var metrics = _c.Run("curl -sf http://127.0.0.1:9811/metrics").Stdout;
            line = metrics.Split('\n').FirstOrDefault(l =>
                l.StartsWith("conn_listeners_info{", StringComparison.Ordinal)
                && l.Contains($"port=\"{port}\"", StringComparison.Ordinal)) ?? "";
            return line.Length > 0;
        }, TimeSpan.FromSeconds(30), $"conn_listeners_info has port {port}");
        return line;
    }

    private static string Field(string status, string name) =>
        status.Split('\n').First(l => l.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim();
}
