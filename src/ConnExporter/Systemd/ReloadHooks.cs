using Microsoft.Extensions.Logging;

namespace ConnExporter.Systemd;

/// <summary>The components a SIGHUP reloads, in registration order.</summary>
public sealed class ReloadHooks
{
    private readonly List<IReloadable> _hooks = [];
    private readonly Lock _gate = new();

    public void Register(IReloadable hook)
    {
        lock (_gate) _hooks.Add(hook);
    }

    public void Register(string name, Action reload) => Register(new DelegateReloadable(name, reload));

    public IReadOnlyList<string> Names
    {
        get { lock (_gate) return _hooks.Select(h => h.Name).ToList(); }
    }

    /// <summary>Reloads each; returns the names of those that failed.</summary>
    public IReadOnlyList<string> ReloadAll(ILogger logger)
    {
        IReloadable[] hooks;
        lock (_gate) hooks = [.. _hooks];
        var failed = new List<string>();
        foreach (var hook in hooks)
        {
            try
            {
                hook.Reload();
            }
            catch (Exception e)
            {
                failed.Add(hook.Name);
                logger.LogError("reload of {Component} failed, keeping its previous configuration: {Reason}", hook.Name, e.Message);
            }
        }
        return failed;
    }

    private sealed class DelegateReloadable(string name, Action reload) : IReloadable
    {
        public string Name => name;

        public void Reload() => reload();
    }
}
