using ConnExporter.Tests.Inventory;
using ConnExporter.Web.Security;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Tests.Web.Security;

/// <summary>Reloads of settings that only a restart applies: the warning compares with what is in force.</summary>
public sealed class ReloadingWebConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cx-reload-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void ARestartOnlySettingWarnsWhileItDiffersFromTheOneInForce()
    {
        string path = Path.Combine(_directory, "web.yml");
        File.WriteAllText(path, "http_server_config:\n  http2: false\n");
        var logger = new ListLogger();
        var config = ReloadingWebConfig.Load(path, logger, TimeSpan.FromHours(1));
        string[] Warnings() => [.. logger.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message)];

        File.WriteAllText(path, "http_server_config:\n  http2: true\n");
        Assert.True(config.Check());
        Assert.Equal([$"web config {path}: http2 True applies after a restart; False stays in force"], Warnings());

        // Back to the value in force: nothing to restart for.
        File.WriteAllText(path, "http_server_config:\n  http2: false\n");
        Assert.True(config.Check());
        Assert.Single(Warnings());

        // Another reload that still differs says so again, though the last file said the same.
        File.WriteAllText(path, "http_server_config:\n  http2: true\nrate_limit:\n  burst: 5\n  interval: 1s\n");
        Assert.True(config.Check());
        File.WriteAllText(path, "http_server_config:\n  http2: true\nrate_limit:\n  burst: 6\n  interval: 1s\n");
        Assert.True(config.Check());
        Assert.Equal(3, Warnings().Length);
    }
}
