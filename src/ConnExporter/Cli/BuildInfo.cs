using System.Reflection;
using System.Runtime.InteropServices;

namespace ConnExporter.Cli;

/// <summary>Version facts for <c>--version</c> and <c>conn_exporter_build_info</c>.</summary>
public static class BuildInfo
{
    public static string Version { get; } =
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    /// <summary>The git commit, stamped by the SDK's SourceRevisionId when built from a checkout.</summary>
    public static string Revision { get; } =
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion is { } v
        && v.Contains('+', StringComparison.Ordinal) ? v[(v.IndexOf('+', StringComparison.Ordinal) + 1)..] : "unknown";

    public static string Runtime => RuntimeInformation.FrameworkDescription;

    public static string Text => $"conn-exporter, version {Version} (revision: {Revision})\n  runtime: {Runtime}";
}
