using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConnExporter.Tests.Web.Browser;

/// <summary>One tab of <see cref="HeadlessChromium"/>: navigate, evaluate, screenshot.</summary>
public sealed class BrowserPage(HeadlessChromium browser, string sessionId)
{
    public const int Width = 1280;
    public const int Height = 800;

    public string SessionId { get; } = sessionId;

    public Task<JsonElement> SendAsync(string method, JsonObject? parameters = null) =>
        browser.SendAsync(method, parameters, SessionId);

    /// <summary>Loads <paramref name="url"/> and waits for its load event; returns the document's HTTP status.</summary>
    public async Task<int> NavigateAsync(string url)
    {
        browser.ClearEvents();
        var navigated = await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        if (navigated.TryGetProperty("errorText", out var error) && error.GetString() is { Length: > 0 } text)
            throw new InvalidOperationException($"navigating to {url} failed: {text}");
        await browser.WaitForEventAsync("Page.loadEventFired", SessionId);
        var document = await browser.WaitForEventAsync("Network.responseReceived", SessionId,
            p => p.GetProperty("type").GetString() == "Document");
        return document.GetProperty("response").GetProperty("status").GetInt32();
    }

    /// <summary>Every request header the page sends from now on (e.g. Authorization).</summary>
    public Task SetExtraHeadersAsync(IDictionary<string, string> headers)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in headers) obj[k] = v;
        return SendAsync("Network.setExtraHTTPHeaders", new JsonObject { ["headers"] = obj });
    }

    /// <summary>Evaluates a JavaScript expression (promises awaited) and returns its JSON value.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true,
        });
        if (result.TryGetProperty("exceptionDetails", out var details))
            throw new InvalidOperationException($"page threw evaluating {expression}: {details}");
        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var v) ? v : default;
    }

    /// <summary>Polls <paramref name="expression"/> until it is true; throws with <paramref name="what"/> after the timeout.</summary>
    /// <remarks>An expression that throws counts as "not yet": right after a navigation answers, the
    /// previous document (or none) may still be the one evaluated, so its elements are missing.</remarks>
    public async Task WaitUntilAsync(string expression, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        InvalidOperationException? lastError = null;
        while (deadline.Elapsed < (timeout ?? TimeSpan.FromSeconds(30)))
        {
            try
            {
                if ((await EvaluateAsync(expression)).ValueKind == JsonValueKind.True) return;
                lastError = null;
            }
            catch (InvalidOperationException e)
            {
                lastError = e;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"page never got to: {what}", lastError);
    }

    /// <summary>Saves a PNG of the viewport (1280×800) and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string path)
    {
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(shot.GetProperty("data").GetString()!));
        return path;
    }
}
