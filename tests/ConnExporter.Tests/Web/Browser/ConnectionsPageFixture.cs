using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Web.Browser;

/// <summary>
/// The scenario's namespace (Scenarios/host_sockets.py), the real exporter in it (host namespace
/// only: other tests' namespaces on this machine must not show up), and a real headless
/// chromium in the same namespace. Shared by a test class.
/// </summary>
public sealed class ConnectionsPageFixture : IAsyncLifetime
{
    public const int Port = 9813;

    public HostScenario Scenario { get; } = new();

    public RunningExporter? Exporter { get; private set; }

    public HeadlessChromium? Browser { get; private set; }

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    /// <summary>Sockets of the page and API themselves (browser ↔ exporter), left out of comparisons.</summary>
    public static bool IsOwnTraffic(int local, int remote) => local == Port || remote == Port;

    /// <summary>Where the browser tests leave their screenshots for review.</summary>
    public static string ArtifactDirectory =>
        Environment.GetEnvironmentVariable("CONN_EXPORTER_TEST_ARTIFACTS") is { Length: > 0 } dir
            ? Path.Combine(dir, "browser")
            : Path.Combine(TestEnvironment.BaseDirectory, "TestResults", "browser");

    public async Task InitializeAsync()
    {
        if (Scenario.Namespace is null) return; // not root: the [RootFact]s skip (or fail under CI)
        if (!HeadlessChromium.IsInstalled)
            throw new InvalidOperationException($"{HeadlessChromium.Executable} missing: install Debian's chromium (scripts/prereqs.d/80-chromium.sh)");
        Exporter = new RunningExporter(Scenario.Ns, Port, "--no-collector.netns");
        Browser = await HeadlessChromium.StartAsync(Scenario.Ns);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Exporter?.Dispose();
        Scenario.Dispose();
    }
}
