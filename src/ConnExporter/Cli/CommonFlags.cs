using ConnExporter.Inventory;
using ConnExporter.Logging;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Cli;

/// <summary>Flags every command shares: logging, procfs path, socket source.</summary>
public static class CommonFlags
{
    public const string LogLevel = "log.level";
    public const string LogFormat = "log.format";
    public const string PathProcfs = "path.procfs";
    public const string PathSysfs = "path.sysfs";
    public const string Source = "collector.source";
    public const string PathRootfs = "path.rootfs";
    public const string NetnsRead = "collector.netns.read";

    public static void Register(FlagSet flags)
    {
        flags.Add(new Flag(LogLevel, "Only log messages with the given severity or above.", "info",
            placeholder: "LEVEL", allowed: ["debug", "info", "warn", "error"]));
        flags.Add(new Flag(LogFormat, "Output format of log messages.", "logfmt",
            placeholder: "FORMAT", allowed: ["logfmt", "json"]));
        flags.Add(new Flag(PathProcfs, "procfs mountpoint.", "/proc", placeholder: "PATH"));
        flags.Add(new Flag(PathSysfs, "sysfs mountpoint.", "/sys", placeholder: "PATH"));
        flags.Add(new Flag(Source,
            "Where sockets are read: netlink (sock_diag, with tcp_info) or procfs (/proc/net/*). " +
            "netlink falls back to procfs, with a warning, when refused.",
            SocketSources.Netlink, placeholder: "SOURCE", allowed: SocketSources.Names));
        flags.Add(new Flag(PathRootfs, "The node's root filesystem: network namespace pins (run/netns, var/run/docker/netns) and the files that name containers (var/lib/docker/containers, var/lib/containers/storage, var/log/pods, var/log/containers) are read under it.", "/", placeholder: "PATH"));
        flags.Add(new Flag(NetnsRead,
            "How other network namespaces (containers, pods) are read: procfs (/proc/<pid>/net of a member process; no extra capability) " +
            "or netlink (sock_diag from inside each namespace via setns: tcp_info, queue limits and namespaces without processes, needs CAP_SYS_ADMIN).",
            "procfs", placeholder: "HOW", allowed: ["procfs", "netlink"]));
    }

    public static NamespaceReadPath NamespaceRead(FlagSet flags) =>
        flags.GetString(NetnsRead) == "netlink" ? NamespaceReadPath.Netlink : NamespaceReadPath.Procfs;

    public static string Rootfs(FlagSet flags)
    {
        var path = flags.GetString(PathRootfs)!;
        if (!Directory.Exists(path))
            throw new CommandLineException($"--{PathRootfs}={path}: no such directory; point it at the node's root (/ unless the host's root is mounted elsewhere, e.g. /host)");
        return path;
    }

    public static ILoggerFactory CreateLoggerFactory(FlagSet flags)
    {
        var (level, format) = LogSettings(flags);
        return LoggerFactory.Create(b => b.SetMinimumLevel(level).AddProvider(new StderrLoggerProvider(format, level)));
    }

    /// <summary>One logger straight from the stderr provider, for a one-shot command: a logger
    /// factory builds a dependency-injection container first, ~5 ms of a command's start.</summary>
    public static ILogger CreateLogger(FlagSet flags, string category)
    {
        var (level, format) = LogSettings(flags);
        return new StderrLoggerProvider(format, level).CreateLogger(category);
    }

    private static (Microsoft.Extensions.Logging.LogLevel, LogFormat) LogSettings(FlagSet flags)
    {
        var level = flags.GetString(LogLevel) switch
        {
            "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
            "warn" => Microsoft.Extensions.Logging.LogLevel.Warning,
            "error" => Microsoft.Extensions.Logging.LogLevel.Error,
            _ => Microsoft.Extensions.Logging.LogLevel.Information,
        };
        return (level, flags.GetString(LogFormat) == "json" ? Logging.LogFormat.Json : Logging.LogFormat.Logfmt);
    }

    public static string ProcfsRoot(FlagSet flags)
    {
        var path = flags.GetString(PathProcfs)!;
        if (!Directory.Exists(path))
            throw new CommandLineException($"--{PathProcfs}={path}: no such directory; point it at the procfs mount (usually /proc)");
        return path;
    }
}
