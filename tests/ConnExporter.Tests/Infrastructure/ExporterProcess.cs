using System.Diagnostics;

namespace ConnExporter.Tests.Infrastructure;

/// <summary>Runs the real <c>conn-exporter</c> build (copied beside the tests) as a child process.</summary>
public static class ExporterProcess
{
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    public static string Dll => Path.Combine(TestEnvironment.BaseDirectory, "conn-exporter.dll");

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs it to completion, inside <paramref name="ns"/> when given.</summary>
    public static Result Run(TestNamespace? ns, params string[] args)
    {
        var psi = new ProcessStartInfo(ns is null ? Dotnet : "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (ns is not null)
        {
            foreach (var a in (string[])["netns", "exec", ns.Name, Dotnet]) psi.ArgumentList.Add(a);
        }
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
