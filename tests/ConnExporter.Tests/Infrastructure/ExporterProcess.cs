using System.Diagnostics;

namespace ConnExporter.Tests.Infrastructure;

/// <summary>Runs the real <c>conn-exporter</c> build (copied beside the tests) as a child process.</summary>
public static class ExporterProcess
{
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    public static string Dll => Path.Combine(TestEnvironment.BaseDirectory, "conn-exporter.dll");

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs it to completion, inside <paramref name="ns"/> when given.</summary>
    public static Result Run(TestNamespace? ns, params string[] args) => Run(ns, args, wrapper: []);

    /// <summary>Runs it to completion through <paramref name="wrapper"/> (e.g. setpriv and its flags).</summary>
    public static Result Run(TestNamespace? ns, string[] args, string[] wrapper)
    {
        string[] argv = [.. ns is null ? [] : (string[])["ip", "netns", "exec", ns.Name], .. wrapper, Dotnet];
        var psi = new ProcessStartInfo(argv[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in argv[1..]) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(true);
            throw new TimeoutException($"conn-exporter {string.Join(' ', args)} did not finish in 60 s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
