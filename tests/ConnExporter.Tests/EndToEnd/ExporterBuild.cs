using System.Runtime.Versioning;

namespace ConnExporter.Tests.EndToEnd;

/// <summary>
/// The exporter as packaging/install.sh and build-deb.sh take it (a framework-dependent
/// <c>dotnet publish</c> output): assembled from the build the tests already reference, which
/// is byte for byte that output, so the tiers test one build and nothing is rebuilt meanwhile.
/// </summary>
[SupportedOSPlatform("linux")]
public static class ExporterBuild
{
    private static readonly string[] Files =
        ["conn-exporter", "conn-exporter.dll", "conn-exporter.deps.json", "conn-exporter.runtimeconfig.json"];

    private static readonly Lazy<string> PublishDirectory = new(Assemble);
    private static readonly Lazy<string> Deb = new(BuildDeb);

    /// <summary>A world-readable directory with the build (other users run it in some tests).</summary>
    public static string Directory => PublishDirectory.Value;

    /// <summary>The .deb packaging/build-deb.sh makes of it.</summary>
    public static string DebPackage => Deb.Value;

    private static string Assemble()
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("conn-exporter-e2e-build-").FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        foreach (var f in Files)
        {
            var source = Path.Combine(AppContext.BaseDirectory, f);
            if (!File.Exists(source)) throw new FileNotFoundException("the exporter build is not beside the tests", source);
            File.Copy(source, Path.Combine(dir, f));
        }
        File.SetUnixFileMode(Path.Combine(dir, "conn-exporter"), (UnixFileMode)0b111_101_101);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(dir);
        return dir;
    }

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
