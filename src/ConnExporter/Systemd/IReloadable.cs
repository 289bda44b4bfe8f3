namespace ConnExporter.Systemd;

/// <summary>
/// Something that re-reads its configuration on SIGHUP (<c>systemctl reload</c>). A reload that
/// throws keeps the previous configuration; the failure is logged and the others still run.
/// </summary>
public interface IReloadable
{
    /// <summary>What is reloaded, for logs (e.g. <c>interfaces</c>, <c>web config</c>).</summary>
    string Name { get; }

    void Reload();
}
