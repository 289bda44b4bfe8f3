using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Web.Browser;

/// <summary>
/// Debian's real <c>chromium</c>, headless, started inside a test namespace (so it reaches an
/// exporter on that namespace's 127.0.0.1) and driven with the Chrome DevTools Protocol over
/// <c>--remote-debugging-pipe</c>: the browser reads commands on fd 3 and writes replies and
/// events on fd 4, NUL-separated JSON. The shell maps fd 3 and 4 onto the child's stdin and
/// stdout, so no DevTools port is opened and none has to be reached across namespaces.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly Stream _commands;
    private readonly string _profile;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly List<(Func<string, string?, JsonElement, bool> Match, TaskCompletionSource<JsonElement> Done)> _waiters = [];
    private readonly List<(string Method, string? Session, JsonElement Params)> _events = [];
    private readonly StringBuilder _stderr = new();
    private readonly Task _reader;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private int _nextId;

    private HeadlessChromium(TestNamespace ns)
    {
        _profile = Directory.CreateTempSubdirectory("cxt-chromium-").FullName;
        string[] flags =
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-default-browser-check",
            "--password-store=basic", "--remote-debugging-pipe", "--window-size=1280,800",
            $"--user-data-dir={_profile}", "about:blank",
        ];
        var psi = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // fd 3 = our stdin pipe (commands), fd 4 = our stdout pipe (replies); chromium's own
        // stdin and stdout are /dev/null.
        foreach (var a in (string[])["netns", "exec", ns.Name, "sh", "-c", $"exec {Executable} \"$@\" 3<&0 4>&1 0</dev/null 1>/dev/null", "chromium", .. flags])
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("chromium did not start");
        _process.ErrorDataReceived += (_, e) => { lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        _commands = _process.StandardInput.BaseStream;
        _reader = Task.Run(() => ReadLoop(_process.StandardOutput.BaseStream));
    }

    /// <summary>Whether Debian's chromium is installed (scripts/prereqs.d/80-chromium.sh).</summary>
    public static bool IsInstalled => File.Exists(Executable);

    public static async Task<HeadlessChromium> StartAsync(TestNamespace ns)
    {
        var browser = new HeadlessChromium(ns);
        try
        {
            await browser.SendAsync("Browser.getVersion", null, null, TimeSpan.FromSeconds(60));
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>A new tab, 1280×800, with Page, Network and Runtime events on.</summary>
    public async Task<BrowserPage> OpenPageAsync()
    {
        var target = await SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" });
        var targetId = target.GetProperty("targetId").GetString()!;
        var attached = await SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = targetId, ["flatten"] = true });
        var page = new BrowserPage(this, attached.GetProperty("sessionId").GetString()!);
        await page.SendAsync("Page.enable");
        await page.SendAsync("Network.enable");
        await page.SendAsync("Runtime.enable");
        await page.SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject
        {
            ["width"] = BrowserPage.Width, ["height"] = BrowserPage.Height, ["deviceScaleFactor"] = 1, ["mobile"] = false,
        });
        return page;
    }

    /// <summary>Sends one command and returns its result; a protocol error throws with its message.</summary>
    public async Task<JsonElement> SendAsync(string method, JsonObject? parameters = null, string? sessionId = null, TimeSpan? timeout = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var done = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = done;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (sessionId is not null) message["sessionId"] = sessionId;
        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        await _writeGate.WaitAsync();
        try
        {
            await _commands.WriteAsync(bytes);
            _commands.WriteByte(0);
            await _commands.FlushAsync();
        }
        finally
        {
            _writeGate.Release();
        }
        try
        {
            return await done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"chromium did not answer {method} in time; stderr: {Stderr}");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Waits for an event (seen already or still to come) that <paramref name="match"/> accepts.</summary>
    public Task<JsonElement> WaitForEventAsync(string method, string? sessionId, Func<JsonElement, bool>? match = null, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool Accepts(string m, string? s, JsonElement p) => m == method && (sessionId is null || s == sessionId) && (match is null || match(p));
        lock (_events)
        {
            foreach (var (m, s, p) in _events)
                if (Accepts(m, s, p)) return Task.FromResult(p);
            _waiters.Add((Accepts, done));
        }
        return done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
    }

    /// <summary>Events received so far for a session.</summary>
    public List<JsonElement> Events(string method, string? sessionId)
    {
        lock (_events) return _events.Where(e => e.Method == method && (sessionId is null || e.Session == sessionId)).Select(e => e.Params).ToList();
    }

    /// <summary>Forgets recorded events, so a later wait sees only new ones.</summary>
    public void ClearEvents()
    {
        lock (_events) _events.Clear();
    }

    private void ReadLoop(Stream replies)
    {
        var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = replies.Read(buffer)) > 0)
        {
            int start = 0;
            for (int i = 0; i < n; i++)
            {
                if (buffer[i] != 0) continue;
                message.Write(buffer, start, i - start);
                Dispatch(message.ToArray());
                message.SetLength(0);
                start = i + 1;
            }
            message.Write(buffer, start, n - start);
        }
        foreach (var pending in _pending.Values)
            pending.TrySetException(new IOException("chromium closed the DevTools pipe; stderr: " + Stderr));
    }

    private void Dispatch(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement.Clone();
        if (root.TryGetProperty("id", out var id))
        {
            if (!_pending.TryGetValue(id.GetInt32(), out var done)) return;
            if (root.TryGetProperty("error", out var error)) done.TrySetException(new InvalidOperationException("DevTools: " + error));
            else done.TrySetResult(root.GetProperty("result"));
            return;
        }
        var method = root.GetProperty("method").GetString()!;
        var session = root.TryGetProperty("sessionId", out var s) ? s.GetString() : null;
        var parameters = root.TryGetProperty("params", out var p) ? p : default;
        lock (_events)
        {
            _events.Add((method, session, parameters));
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Match(method, session, parameters)) continue;
                _waiters[i].Done.TrySetResult(parameters);
                _waiters.RemoveAt(i);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) await SendAsync("Browser.close", timeout: TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException)
        {
            // Already going away; killed below.
        }
        if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(5000);
        await Task.WhenAny(_reader, Task.Delay(2000));
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
    }
}
