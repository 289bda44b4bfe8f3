namespace ConnExporter.Tests.EndToEnd;

/// <summary>
/// Where the end-to-end tier finds the source tree (shipped unit files, scripts), its cache
/// outside the repository, and the tools scripts/prereqs.d/40-systemd-e2e.sh prepares.
/// </summary>
public static class E2eEnvironment
{
    /// <summary>Cache for the rootfs tarball, unpacked tools and builds; survives test runs.</summary>
    public const string CacheDirectory = "/var/cache/conn-exporter-tests";

    public static string ToolsDirectory => Path.Combine(CacheDirectory, "tools");

    /// <summary>The repository root: the tests use the shipped files in place, unchanged.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Deploy(params string[] parts) => Path.Combine([RepoRoot, "deploy", .. parts]);

    public static string Packaging(params string[] parts) => Path.Combine([RepoRoot, "packaging", .. parts]);

    /// <summary>
    /// The .NET installation the tests run on (bind-mounted read-only into containers as
    /// /usr/share/dotnet, where the wrapper looks first after DOTNET_ROOT).
    /// </summary>
    public static string DotnetRoot { get; } = FindDotnetRoot();

    /// <summary>systemd-nspawn unpacked from the systemd-container .deb of the host's systemd version.</summary>
    public static string Nspawn => FindTool("systemd-container-", "usr/bin/systemd-nspawn",
        "systemd-nspawn is not unpacked; run scripts/test.sh (scripts/prereqs.d/40-systemd-e2e.sh)", HostSystemdVersion());

    /// <summary>runit's runsv/sv, unpacked from the runit .deb (not installed).</summary>
    public static string RunitBin(string name) => FindTool("runit-", "usr/bin/" + name,
        "runit is not unpacked; run scripts/test.sh (scripts/prereqs.d/40-systemd-e2e.sh)", null);

    private static string FindTool(string prefix, string relative, string missing, string? version)
    {
        if (Directory.Exists(ToolsDirectory))
        {
            var dirs = Directory.GetDirectories(ToolsDirectory, prefix + "*")
                .Where(d => File.Exists(Path.Combine(d, ".complete")))
                .Where(d => version is null || Path.GetFileName(d) == prefix + version)
                .Order(StringComparer.Ordinal)
                .ToList();
            if (dirs.Count > 0) return Path.Combine(dirs[^1], relative);
        }
        throw new InvalidOperationException(missing);
    }

    /// <summary>The Debian version of the host's systemd (libsystemd-shared must match nspawn's).</summary>
    public static string HostSystemdVersion() =>
        HostCommand.Check("dpkg-query", ["-W", "-f=${Version}", "systemd"]).Stdout.Trim();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConnExporter.slnx"))
                && Directory.Exists(Path.Combine(dir.FullName, "deploy", "systemd")))
                return dir.FullName;
        }
        throw new InvalidOperationException("the source tree (ConnExporter.slnx with deploy/systemd) is not above " + AppContext.BaseDirectory);
    }

    private static string FindDotnetRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(Path.Combine(fromEnvironment, "dotnet")))
            return fromEnvironment;
        // The muxer running the tests: DOTNET_HOST_PATH, else `dotnet` on PATH (often a symlink).
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(host) || !File.Exists(host))
        {
            host = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin")
                .Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(d => Path.Combine(d, "dotnet"))
                .FirstOrDefault(File.Exists) ?? "/usr/share/dotnet/dotnet";
        }
        var real = new FileInfo(host).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? host;
        return Path.GetDirectoryName(real)!;
    }
}
