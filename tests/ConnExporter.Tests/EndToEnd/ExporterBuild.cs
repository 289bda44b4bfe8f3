using System.Runtime.Versioning;

namespace ConnExporter.Tests.EndToEnd;

/// <summary>
/// The exporter as users get it: the Native AOT executable `dotnet publish -c Release
/// src/ConnExporter` produces, which packaging/install.sh and build-deb.sh take. Published at
/// most once per source tree: the output is cached beside the tests' build, keyed by a hash of
/// every source file that goes into it, so a test run pays the ~1 minute publish only when the
/// product changed (and one run's publish serves its parallel test classes and later runs).
/// </summary>
[SupportedOSPlatform("linux")]
public static class ExporterBuild
{
    private static readonly Lazy<string> PublishDirectory = new(Assemble);
    private static readonly Lazy<string> Deb = new(BuildDeb);

    /// <summary>A world-readable directory with the build (other users run it in some tests).</summary>
    public static string Directory => PublishDirectory.Value;

    /// <summary>The native executable in <see cref="Directory"/>.</summary>
    public static string Executable => Path.Combine(Directory, "conn-exporter");

    /// <summary>The .deb packaging/build-deb.sh makes of it.</summary>
    public static string DebPackage => Deb.Value;

    private static string Assemble()
    {
        var published = Publish();
        var dir = System.IO.Directory.CreateTempSubdirectory("conn-exporter-e2e-build-").FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        File.Copy(Path.Combine(published, "conn-exporter"), Path.Combine(dir, "conn-exporter"));
        File.SetUnixFileMode(Path.Combine(dir, "conn-exporter"), (UnixFileMode)0b111_101_101);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(dir);
        return dir;
    }

    /// <summary>The cached AOT publish output of the current sources, published when missing.</summary>
    private static string Publish()
    {
        var cache = Path.Combine(AppContext.BaseDirectory, "aot-publish");
        System.IO.Directory.CreateDirectory(cache);
        var output = Path.Combine(cache, SourceHash());
        var complete = Path.Combine(output, ".complete");
        using var gate = CacheLock.Acquire(Path.Combine(cache, ".lock"), TimeSpan.FromMinutes(10));
        if (File.Exists(complete)) return output;
        // Older sources' publishes are of no further use.
        foreach (var old in System.IO.Directory.GetDirectories(cache)) System.IO.Directory.Delete(old, recursive: true);
        var dotnet = Path.Combine(E2eEnvironment.DotnetRoot, "dotnet");
        HostCommand.Check(dotnet,
            ["publish", Path.Combine(E2eEnvironment.RepoRoot, "src", "ConnExporter"), "-c", "Release", "-o", output, "--nologo", "-v", "q"],
            TimeSpan.FromMinutes(8));
        var exe = Path.Combine(output, "conn-exporter");
        if (!File.Exists(exe)) throw new FileNotFoundException("dotnet publish made no conn-exporter executable", exe);
        if (File.Exists(Path.Combine(output, "conn-exporter.dll")))
            throw new InvalidOperationException("dotnet publish -c Release made a framework-dependent build, not the Native AOT one: " + output);
        File.WriteAllText(complete, "");
        return output;
    }

    /// <summary>SHA-256 over the path and bytes of every file the publish reads from the tree.</summary>
    private static string SourceHash()
    {
        var root = E2eEnvironment.RepoRoot;
        var project = Path.Combine(root, "src", "ConnExporter");
        var files = System.IO.Directory.EnumerateFiles(project, "*", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(Path.GetRelativePath(project, f)))
            .Concat(new[] { "Directory.Build.props", "Directory.Packages.props", "nuget.config" }
                .Select(f => Path.Combine(root, f)).Where(File.Exists))
            .Select(f => Path.GetRelativePath(root, f))
            .Order(StringComparer.Ordinal);
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var f in files)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(f + "\0"));
            sha.AppendData(File.ReadAllBytes(Path.Combine(root, f)));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
    }

    private static bool IsBuildOutput(string relative) =>
        relative.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
        || relative.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string BuildDeb()
    {
        var output = System.IO.Directory.CreateTempSubdirectory("conn-exporter-e2e-deb-").FullName;
        File.SetUnixFileMode(output, (UnixFileMode)0b111_101_101);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(output);
        var r = HostCommand.Check("sh", [E2eEnvironment.Packaging("build-deb.sh"), "--from", Directory, "--output", output],
            TimeSpan.FromMinutes(3));
        var deb = r.Stdout.Trim().Split('\n')[^1];
        if (!File.Exists(deb)) throw new FileNotFoundException("build-deb.sh printed no package path: " + r, deb);
        return deb;
    }

    private static void TryDelete(string dir)
    {
        try
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
