using System.Diagnostics;

namespace ConnExporter.Tests.Infrastructure;

/// <summary>The real exporter running inside a namespace, scraped with curl from inside it.</summary>
public sealed class RunningExporter : IDisposable
{
    private readonly TestNamespace _ns;
    private readonly Process _process;
    private readonly System.Text.StringBuilder _stderr = new();

    public RunningExporter(TestNamespace ns, int port, params string[] args)
        : this(ns, port, wrapper: [], args)
    {
    }

    /// <param name="wrapper">A command the exporter runs under, e.g. setpriv dropping a capability.</param>
    public RunningExporter(TestNamespace ns, int port, string[] wrapper, string[] args)
    {
        _ns = ns;
        Port = port;
        string[] command = [.. wrapper, ExporterProcess.Dotnet, ExporterProcess.Dll, $"--web.listen-address=127.0.0.1:{port}", .. args];
        _process = ns.Start(command[0], command[1..]);
        _process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process.HasExited) throw new InvalidOperationException($"exporter exited {_process.ExitCode}: {Stderr}");
            if (Curl("/-/ready", check: false).Contains("ready", StringComparison.Ordinal)
                && !Curl("/-/ready", check: false).Contains("not", StringComparison.Ordinal)) return;
            Thread.Sleep(100);
        }
        throw new TimeoutException("exporter did not become ready in 30 s: " + Stderr);
    }

    public int Port { get; }

    /// <summary>The exporter's pid (<c>ip netns exec</c> execs it in place).</summary>
    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>GET a path with curl inside the namespace; extra curl arguments may follow.</summary>
    public string Curl(string path, bool check = true, params string[] extra) =>
        _ns.ExecArgs("curl", ["-s", "--max-time", "30", .. extra, $"http://127.0.0.1:{Port}{path}"], check);

    public List<ScrapedSample> Scrape() => ScrapedSample.Parse(Curl("/metrics"));

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(5000);
    }
}
