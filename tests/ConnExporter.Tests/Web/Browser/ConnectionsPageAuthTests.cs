using System.Diagnostics;
using System.Text;
using ConnExporter.Tests.Infrastructure;
using ConnExporter.Tests.Web.Security;

namespace ConnExporter.Tests.Web.Browser;

/// <summary>The page and its API behind basic auth from --web.config.file, in a real chromium.</summary>
public sealed class ConnectionsPageAuthTests
{
    [RootFact]
    public async Task PageNeedsCredentialsAndLoadsWithThem()
    {
        using var ns = new TestNamespace("cxui");
        const int port = 19813;
        var config = Path.Combine(Directory.CreateTempSubdirectory("cxui-").FullName, "web.yml");
        File.WriteAllText(config, $"basic_auth_users:\n  prometheus: {BcryptTests.PromPass}\n");
        var exporter = ns.Start(ExporterProcess.Dotnet, [ExporterProcess.Dll, $"--web.listen-address=127.0.0.1:{port}", $"--web.config.file={config}", "--no-collector.netns"]);
        exporter.BeginErrorReadLine();
        exporter.BeginOutputReadLine();
        var url = $"http://127.0.0.1:{port}";
        var deadline = Stopwatch.StartNew();
        while (ns.ExecArgs("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", url + "/connections"], check: false) != "401")
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "exporter did not answer 401 within 30 s");
            Thread.Sleep(100);
        }
        await using var browser = await HeadlessChromium.StartAsync(ns);
        var page = await browser.OpenPageAsync();

        // Without credentials the exporter challenges (401, WWW-Authenticate: Basic); headless
        // chromium has no one to ask for a password and gives up on the navigation.
        await AssertChallengedAsync(browser, page, url + "/connections");
        // With wrong ones the same: chromium reports that the server refused what it sent.
        await page.SetExtraHeadersAsync(new Dictionary<string, string> { ["Authorization"] = Basic("prometheus", "wrong") });
        await AssertChallengedAsync(browser, page, url + "/connections");

        await page.SetExtraHeadersAsync(new Dictionary<string, string> { ["Authorization"] = Basic("prometheus", "prom-pass") });
        Assert.Equal(200, await page.NavigateAsync(url + "/connections#refresh=0"));
        await page.WaitUntilAsync("!!document.getElementById('taken').dataset.takenAt", "a snapshot shown");
        // The page's own API call went through with the same credentials and shows the exporter's listener.
        Assert.Equal(200, browser.Events("Network.responseReceived", page.SessionId)
            .Single(e => e.GetProperty("response").GetProperty("url").GetString()!.EndsWith("/api/v1/connections", StringComparison.Ordinal))
            .GetProperty("response").GetProperty("status").GetInt32());
        await page.WaitUntilAsync($"[...document.querySelectorAll('#body tr.row td')].some(td => td.textContent === '127.0.0.1:{port}')", "the exporter's listener shown");
        await page.ScreenshotAsync(Path.Combine(ConnectionsPageFixture.ArtifactDirectory, "connections-authenticated.png"));
        exporter.Kill(entireProcessTree: true);
    }

    private static async Task AssertChallengedAsync(HeadlessChromium browser, BrowserPage page, string url)
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => page.NavigateAsync(url));
        Assert.Contains("ERR_INVALID_AUTH_CREDENTIALS", refused.Message, StringComparison.Ordinal);
        var raw = await browser.WaitForEventAsync("Network.responseReceivedExtraInfo", page.SessionId,
            e => e.TryGetProperty("statusCode", out var status) && status.GetInt32() == 401);
        var challenge = raw.GetProperty("headers").EnumerateObject()
            .Single(h => h.Name.Equals("www-authenticate", StringComparison.OrdinalIgnoreCase)).Value.GetString();
        Assert.Equal("Basic realm=\"conn-exporter\"", challenge);
        Assert.DoesNotContain(browser.Events("Network.responseReceivedExtraInfo", page.SessionId),
            e => e.TryGetProperty("statusCode", out var status) && status.GetInt32() == 200);
    }

    private static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
}
