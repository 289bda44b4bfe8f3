using System.Net;
using ConnExporter.Tests.Inventory;
using ConnExporter.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Tests.Web.Security;

/// <summary>
/// Kestrel on 127.0.0.1 (a free port) wired exactly as the exporter wires it: limits,
/// <see cref="WebSecurity.ConfigureListen"/> and <see cref="WebSecurity.UseAuthentication"/>,
/// with small endpoints: <c>/metrics</c> answers "ok", <c>/boom</c> throws.
/// Config changes are looked for on every request (check interval zero).
/// </summary>
internal sealed class SecuredTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public SecuredTestServer(string? webConfig)
    {
        Logger = new ListLogger();
        Security = WebSecurity.Create(webConfig, Logger, TimeSpan.Zero);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = Environments.Development });
        builder.Logging.ClearProviders();
        Security.ConfigureBuilder(builder.WebHost);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            WebSecurity.ApplyLimits(kestrel);
            kestrel.Listen(IPAddress.Loopback, 0, l => Security.ConfigureListen(l));
        });
        _app = builder.Build();
        Security.UseAuthentication(_app);
        _app.MapGet("/metrics", () => "ok");
        _app.MapGet("/boom", (Func<string>)(() => throw new InvalidOperationException("secret-detail-in-stack")));
        _app.StartAsync().GetAwaiter().GetResult();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
    }

    public WebSecurity Security { get; }

    public ListLogger Logger { get; }

    public int Port { get; }

    public string Url(string path, string scheme = "https") => $"{scheme}://localhost:{Port}{path}";

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
