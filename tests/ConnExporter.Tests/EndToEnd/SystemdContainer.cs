using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ConnExporter.Tests.EndToEnd;

/// <summary>
/// A real systemd as PID 1 in <c>systemd-nspawn --boot</c> on the cached rootfs, the recipe
/// measured on this machine kind (docs/deployment.md, "Testing"):
/// <list type="bullet">
/// <item><c>--register=no --keep-unit</c>: no machined and no transient scope, so it boots
/// where the host's PID 1 is not systemd;</item>
/// <item><c>--volatile=overlay</c>: the rootfs stays read-only and shared, writes go to tmpfs;</item>
/// <item><c>--private-network</c>: its own loopback, so ports never collide with the host or
/// another container;</item>
/// <item><c>--capability=CAP_BPF,CAP_PERFMON,CAP_NET_ADMIN --system-call-filter=bpf</c>: units
/// inside may use eBPF (and systemd its cgroup IP firewall); the exporter's BTF raw tracepoint
/// needs no perf_event_open, so the container does not allow it.</item>
/// </list>
/// Commands run inside through <c>nsenter -t &lt;PID 1&gt; -a</c>: <c>systemd-run -M</c> and
/// <c>machinectl</c> need the container registered with machined, which it is not.
/// </summary>
public sealed class SystemdContainer : IDisposable
{
    private const string ContainerPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private readonly Process _nspawn;
    private readonly StringBuilder _console = new();

    /// <param name="name">Host name inside (unique per test class, for reading logs).</param>
    /// <param name="readOnlyBinds">Host paths and where they appear inside, read-only.</param>
    public SystemdContainer(string name, IEnumerable<(string Host, string Inside)> readOnlyBinds)
    {
        var rootfs = ContainerRootfs.Directory;
        var psi = new ProcessStartInfo(E2eEnvironment.Nspawn)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        string[] args =
        [
            "--quiet", "-D", rootfs, "--machine=" + name, "--register=no", "--keep-unit",
            "--console=read-only", "--volatile=overlay", "--private-network",
            "--capability=CAP_BPF,CAP_PERFMON,CAP_NET_ADMIN", "--system-call-filter=bpf",
            "--bind-ro=" + E2eEnvironment.DotnetRoot + ":/usr/share/dotnet",
        ];
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (host, inside) in readOnlyBinds) psi.ArgumentList.Add($"--bind-ro={host}:{inside}");
        psi.ArgumentList.Add("--boot");
        _nspawn = Process.Start(psi) ?? throw new InvalidOperationException("cannot start systemd-nspawn");
        _nspawn.StandardInput.Close();
        _nspawn.OutputDataReceived += (_, e) => { lock (_console) _console.AppendLine(e.Data); };
        _nspawn.ErrorDataReceived += (_, e) => { lock (_console) _console.AppendLine(e.Data); };
        _nspawn.BeginOutputReadLine();
        _nspawn.BeginErrorReadLine();
        try
        {
            Leader = FindLeader();
            WaitUntilBooted();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The container's PID 1 as the host sees it.</summary>
    public int Leader { get; }

    /// <summary>What nspawn and the container's console printed (for failure messages).</summary>
    public string Console
    {
        get { lock (_console) return _console.ToString(); }
    }

    /// <summary>Runs <paramref name="script"/> with /bin/sh inside, in every namespace of PID 1.</summary>
    public HostCommand.Result Run(string script, TimeSpan? timeout = null) =>
        HostCommand.Run("nsenter",
        [
            "-t", Leader.ToString(CultureInfo.InvariantCulture), "-a", "--",
            "/usr/bin/env", "-i", "PATH=" + ContainerPath, "LANG=C.UTF-8", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER=",
            "SYSTEMD_LOG_COLOR=0", "/bin/sh", "-c", script,
        ], timeout ?? TimeSpan.FromMinutes(2));

    /// <summary>Like <see cref="Run"/>, failing with the output and the unit journal unless it exits 0.</summary>
    public string Check(string script, TimeSpan? timeout = null)
    {
        var r = Run(script, timeout);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"inside the container: {script}\n{r}\njournal:\n{Journal()}");
        return r.Stdout;
    }

    /// <summary>One property of a unit (<c>systemctl show -P</c>).</summary>
    public string Property(string unit, string property) =>
        Check($"systemctl show -P {property} {unit}").Trim();

    /// <summary>The last lines of the journal, for failure messages.</summary>
    public string Journal(int lines = 60) => Run($"journalctl --no-pager -n {lines} -o short-monotonic").Stdout;

    /// <summary>Polls until <paramref name="condition"/> holds, failing with <paramref name="what"/> after the timeout.</summary>
    public void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"after {timeout.TotalSeconds:F0} s: {what}\njournal:\n{Journal()}");
            Thread.Sleep(200);
        }
    }

    private int FindLeader()
    {
        // nspawn forks the container's init as its direct child (the outer child exits).
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_nspawn.HasExited)
                throw new InvalidOperationException($"systemd-nspawn exited {_nspawn.ExitCode}:\n{Console}");
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(dir, "stat"));
                }
                catch (IOException)
                {
                    continue;
                }
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == _nspawn.Id && stat.Contains("(systemd)", StringComparison.Ordinal))
                    return pid;
            }
            Thread.Sleep(100);
        }
        throw new TimeoutException("the container's systemd did not start:\n" + Console);
    }

    private void WaitUntilBooted()
    {
        var clock = Stopwatch.StartNew();
        string state = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            // --wait would block on a job that never ends if boot hangs; poll instead.
            state = Run("systemctl is-system-running", TimeSpan.FromSeconds(20)).Stdout.Trim();
            if (state is "running" or "degraded") return;
            Thread.Sleep(200);
        }
        throw new TimeoutException($"the container did not finish booting (state '{state}'):\n{Console}");
    }

    public void Dispose()
    {
        if (!_nspawn.HasExited && Leader > 0)
        {
            // SIGRTMIN+4 asks systemd to power off; nspawn exits when its init does.
            try
            {
                HostCommand.Run("kill", ["-s", "RTMIN+4", Leader.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
            }
            if (!_nspawn.WaitForExit(TimeSpan.FromSeconds(20))) _nspawn.Kill(entireProcessTree: true);
        }
        else if (!_nspawn.HasExited)
        {
            _nspawn.Kill(entireProcessTree: true);
        }
        _nspawn.WaitForExit();
        _nspawn.Dispose();
    }
}
