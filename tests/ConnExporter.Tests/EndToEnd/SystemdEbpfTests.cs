using System.Globalization;
using System.Runtime.Versioning;
using ConnExporter.Tests.Infrastructure;
using ConnExporter.Tests.Systemd;

namespace ConnExporter.Tests.EndToEnd;

/// <summary>
/// The eBPF collector under the shipped conn-exporter.service, unchanged: a dynamic user with
/// only the unit's ambient capabilities, and a seccomp filter that adds back <c>bpf</c> alone.
/// The BTF raw tracepoint must load, attach and count with exactly that, in a container that
/// itself allows <c>bpf</c> but not <c>perf_event_open</c> (<see cref="SystemdContainer"/>).
/// </summary>
// Their processes (containers, supervised exporters) would show in host-wide /proc scans
// other tests measure: run with the other host-process tests, after the parallel ones.
[Collection(HostProcessesCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class SystemdEbpfTests : IClassFixture<InstalledContainer>
{
    private const string Service = "conn-exporter.service";

    private readonly SystemdContainer _c;

    public SystemdEbpfTests(InstalledContainer fixture)
    {
        _c = fixture.Container;
        _c.Check($"systemctl stop {Service} 2>/dev/null; systemctl reset-failed; true");
    }

    [RootFact]
    public void Shipped_unit_attaches_the_program_with_the_bpf_syscall_alone_and_counts_a_refused_connect()
    {
        // The unit as shipped: no drop-in, perf_event_open outside its filter.
        Assert.Equal("", _c.Run($"ls /run/systemd/system/{Service}.d /etc/systemd/system/{Service}.d 2>/dev/null").Stdout.Trim());
        var filter = _c.Property(Service, "SystemCallFilter").Split(' ');
        Assert.Contains("bpf", filter);
        Assert.DoesNotContain("perf_event_open", filter);

        _c.Check($"systemctl start {Service}", TimeSpan.FromSeconds(90));
        var metrics = _c.Check("curl -sf http://127.0.0.1:9811/metrics");
        var journal = _c.Run($"journalctl --no-pager -u {Service} -o cat").Stdout;
        Assert.True(metrics.Contains("conn_exporter_collector_success{collector=\"ebpf\"} 1\n", StringComparison.Ordinal), journal);
        Assert.Contains("conn_exporter_ebpf_attached{program=\"sock:inet_sock_set_state\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("eBPF collector off", journal, StringComparison.Ordinal);

        // A refused connect by a process with a name no other test uses, in a unit of its own
        // (the maps see every namespace of the host; name and unit pick out this one). The unit
        // then sleeps: its cgroup must exist when the exporter resolves the cgroup id to it.
        string comm = "cxr" + Random.Shared.Next(100000, 999999).ToString(CultureInfo.InvariantCulture);
        string unit = $"e2e-{comm}.service";
        try
        {
            _c.Check($"cp /usr/bin/nc /tmp/{comm} && systemd-run --quiet --unit={unit} /bin/sh -c " +
                     $"'/tmp/{comm} -z -w 5 127.0.0.1 1; echo $? > /run/{comm}.rc; exec sleep 600'");
            _c.WaitFor(() => _c.Run($"test -s /run/{comm}.rc").ExitCode == 0, TimeSpan.FromSeconds(20), $"{comm} tried to connect");
            // Nothing listens on port 1 in the container's own network: nc reports the refusal.
            Assert.Equal("1", _c.Check($"cat /run/{comm}.rc").Trim());

            string series = $"conn_tcp_connects_total{{process=\"{comm}\",unit=\"{unit}\",family=\"ipv4\",result=\"refused\"}} 1";
            _c.WaitFor(() => _c.Run("curl -sf http://127.0.0.1:9811/metrics").Stdout.Contains(series + "\n", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), $"the exporter counts {series}");
            var after = _c.Check("curl -sf http://127.0.0.1:9811/metrics");
            // The other results of the same process stay zero (the view zero-fills them).
            foreach (var result in new[] { "established", "timeout", "reset", "other" })
            {
                string prefix = $"conn_tcp_connects_total{{process=\"{comm}\",unit=\"{unit}\",family=\"ipv4\",result=\"{result}\"}} ";
                var line = after.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
                Assert.True(line is null || line == prefix + "0", line);
            }
        }
        finally
        {
            _c.Run($"systemctl stop {unit}; rm -f /tmp/{comm} /run/{comm}.rc");
        }
    }
}
