using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Systemd;

/// <summary>
/// The real exporter started the way a service manager starts it: with chosen environment
/// variables, optionally behind <c>systemd-socket-activate</c>, signalled by pid.
/// </summary>
public sealed class SupervisedExporter : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    public SupervisedExporter(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        _process = Process.Start(psi)!;
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    /// <summary><c>dotnet conn-exporter.dll args…</c>.</summary>
    public static SupervisedExporter Direct(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        new(ExporterProcess.Dotnet, [ExporterProcess.Dll, .. args], environment);

    /// <summary>
    /// <c>systemd-socket-activate -l 127.0.0.1:port --fdname=name [-E K=V…] dotnet conn-exporter.dll args…</c>;
    /// it execs the exporter (same pid) at the first connection. It passes on only PATH, HOME
    /// and TERM itself, so the other variables go through <c>-E</c>.
    /// </summary>
    public static SupervisedExporter SocketActivated(int port, string fdName, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var activate = new List<string> { "-l", $"127.0.0.1:{port}", $"--fdname={fdName}" };
        foreach (var (key, value) in environment) activate.Add($"--setenv={key}={value}");
        foreach (var key in (string[])["DOTNET_ROOT", "DOTNET_CLI_HOME"])
            if (Environment.GetEnvironmentVariable(key) is { } value) activate.Add($"--setenv={key}={value}");
        return new SupervisedExporter("systemd-socket-activate", [.. activate, ExporterProcess.Dotnet, ExporterProcess.Dll, .. args],
            new Dictionary<string, string>());
    }

    public int Pid => _process.Id;

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits until stderr contains <paramref name="text"/>; fails the test otherwise.</summary>
    public void WaitForStderr(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!Stderr.Contains(text, StringComparison.Ordinal))
        {
            if (deadline.Elapsed > timeout || _process.HasExited)
                throw new TimeoutException($"stderr never said '{text}': {Stderr}");
            Thread.Sleep(50);
        }
    }

    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-s", name, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>The exit code; fails the test when it does not exit in time.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
            throw new TimeoutException($"the exporter did not exit within {timeout.TotalSeconds}s: {Stderr}");
        _process.WaitForExit(); // flush the redirected streams
        return _process.ExitCode;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(5000);
        _process.Dispose();
    }
}
