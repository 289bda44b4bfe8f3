using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ConnExporter.Tests.Infrastructure;

/// <summary>
/// A fresh network namespace made for one test: loopback up and a tun link named like the
/// WireGuard seed's <c>wg-faas</c> carrying 10.x IPv4 and <c>fd00:faa5:0:100::1/64</c>
/// (this kernel has no dummy driver). Disposing kills what was started in it and deletes it.
/// </summary>
public sealed partial class TestNamespace : IDisposable
{
    public const string TunName = "wg-faas";
    public const string TunIPv6 = "fd00:faa5:0:100::1";

    private readonly List<Process> _processes = [];

    public string Name { get; }

    /// <summary>The namespace's 10.x address on <see cref="TunName"/>.</summary>
    public string TunIPv4 { get; }

    public TestNamespace(string? prefix = null)
    {
        int n = Random.Shared.Next(1, 250);
        Name = $"{prefix ?? "cxt"}-{Environment.ProcessId}-{Random.Shared.Next(100000)}";
        TunIPv4 = $"10.{n}.0.1";
        Ip($"netns add {Name}");
        try
        {
            Ip($"-n {Name} link set lo up");
            Ip($"-n {Name} tuntap add dev {TunName} mode tun");
            Ip($"-n {Name} link set {TunName} up");
            Ip($"-n {Name} addr add {TunIPv4}/24 dev {TunName}");
            Ip($"-n {Name} addr add {TunIPv6}/64 dev {TunName} nodad");
        }
        catch
        {
            Ip($"netns del {Name}", check: false);
            throw;
        }
    }

    /// <summary>Runs <c>ip</c> with the given arguments; throws with its stderr on failure.</summary>
    public static string Ip(string args, bool check = true) => Run("ip", args, check);

    public static string Run(string file, string args, bool check = true) =>
        Run(new ProcessStartInfo(file, args), check);

    /// <summary>Runs a command inside the namespace with exact arguments (no shell quoting).</summary>
    public string ExecArgs(string file, IEnumerable<string> args, bool check = true)
    {
        var psi = new ProcessStartInfo("ip");
        foreach (var a in (string[])["netns", "exec", Name, file, .. args]) psi.ArgumentList.Add(a);
        return Run(psi, check);
    }

    private static string Run(ProcessStartInfo psi, bool check)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (check && p.ExitCode != 0)
            throw new InvalidOperationException($"{psi.FileName} {psi.Arguments}{string.Join(' ', psi.ArgumentList)} exited {p.ExitCode}: {stderr}");
        return stdout.Result;
    }

    /// <summary>Runs a command inside the namespace and returns its stdout.</summary>
    public string Exec(string file, string args, bool check = true) =>
        Run("ip", $"netns exec {Name} {file} {args}", check);

    /// <summary>Starts a long-running process inside the namespace; it is killed on dispose.</summary>
    public Process Start(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in (string[])["netns", "exec", Name, file, .. args]) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        _processes.Add(p);
        return p;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a dedicated thread that has entered the namespace
    /// (setns affects only the calling thread), so sockets it opens and
    /// <c>/proc/thread-self/net</c> belong to the namespace.
    /// </summary>
    public T RunInside<T>(Func<T> work)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle($"/var/run/netns/{Name}");
                if (SetNs(ns.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                    throw new InvalidOperationException($"setns failed: errno {Marshal.GetLastPInvokeError()}");
                result = work();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null) throw new AggregateException("work inside the namespace failed", error);
        return result;
    }

    public void Dispose()
    {
        ChildProcesses.StopAll(_processes);
        // Children forked by scenario scripts may outlive their parent: kill all pids in the ns.
        Run("ip", $"netns pids {Name}", check: false).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ToList().ForEach(pid => Run("kill", $"-9 {pid.Trim()}", check: false));
        Ip($"netns del {Name}", check: false);
    }

    private const int CloneNewNet = 0x40000000;

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
