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
