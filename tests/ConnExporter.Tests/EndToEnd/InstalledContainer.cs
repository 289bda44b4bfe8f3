using System.Runtime.Versioning;

namespace ConnExporter.Tests.EndToEnd;

/// <summary>
/// A booted container with the exporter installed by packaging/install.sh (shipped units
/// unchanged, nothing enabled): one per test class that uses it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class InstalledContainer : IDisposable
{
    public const string BuildInside = "/opt/conn-exporter-build";
    public const string SourceInside = "/opt/conn-exporter-src";

    public InstalledContainer()
    {
        Container = new SystemdContainer("ce-units-" + Guid.NewGuid().ToString("N")[..6],
        [
            (ExporterBuild.Directory, BuildInside),
            (E2eEnvironment.RepoRoot, SourceInside),
        ]);
        try
        {
            Container.Check($"sh {SourceInside}/packaging/install.sh --from {BuildInside} --no-enable");
        }
        catch
        {
            Container.Dispose();
            throw;
        }
    }

    public SystemdContainer Container { get; }

    public void Dispose() => Container.Dispose();
}
