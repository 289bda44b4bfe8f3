using System.Text;
using System.Text.Json;
using ConnExporter.Systemd;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Logging;

/// <summary>
/// Writes one line per event to stderr, logfmt or JSON, as Prometheus exporters do
/// (<c>time=… level=warn source=… msg="…" key=value</c>). Own provider rather than the console
/// logger: its formatters are not logfmt, and registering custom ones needs options binding.
/// When stderr is the journal (<see cref="JournalStream"/>), each line starts with its syslog
/// priority, <c>&lt;4&gt;</c> for a warning, so <c>journalctl -p warning</c> filters it, and
/// carries no time: journald stamps every line itself.
/// </summary>
public sealed class StderrLoggerProvider : ILoggerProvider
{
    private readonly LogFormat _format;
    private readonly LogLevel _minimum;
    private readonly TextWriter _output;
    private readonly bool _journal;
    private readonly Lock _gate = new();

    /// <summary>Logs to stderr, in the journal's form when stderr is the journal.</summary>
    public StderrLoggerProvider(LogFormat format, LogLevel minimum)
        : this(format, minimum, Console.Error, JournalStream.IsStandardErrorJournal())
    {
    }

    /// <summary>Logs to <paramref name="output"/>; <paramref name="journal"/> selects the journal's form.</summary>
    public StderrLoggerProvider(LogFormat format, LogLevel minimum, TextWriter output, bool journal = false)
    {
        _format = format;
        _minimum = minimum;
        _output = output;
        _journal = journal;
    }

    /// <summary>
    /// ASP.NET Core's own categories (<c>Microsoft.*</c>) log four info lines per request; a
    /// service's journal wants only their warnings, unless <c>--log.level=debug</c> asks for all.
    /// </summary>
    public ILogger CreateLogger(string categoryName) => new Logger(this, ShortName(categoryName),
        categoryName.StartsWith("Microsoft.", StringComparison.Ordinal) && _minimum > LogLevel.Debug && _minimum < LogLevel.Warning
            ? LogLevel.Warning : _minimum);

    public void Dispose() { }

    private static string ShortName(string category) =>
        category[(category.LastIndexOf('.') + 1)..];

    private void Write(LogLevel level, string source, string message, IReadOnlyList<KeyValuePair<string, object?>>? state, Exception? error)
    {
        var line = new StringBuilder(128);
        string? time = _journal ? null
            : DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        if (_journal) line.Append('<').Append(SyslogPriority(level)).Append('>');
        if (_format == LogFormat.Json)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                if (time is not null) json.WriteString("time", time);
                json.WriteString("level", LevelName(level));
                json.WriteString("source", source);
                json.WriteString("msg", message);
                foreach (var (key, value) in Fields(state))
                    json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                if (error is not null) json.WriteString("err", error.Message);
                json.WriteEndObject();
            }
            line.Append(Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            if (time is not null) line.Append("time=").Append(time).Append(' ');
            line.Append("level=").Append(LevelName(level))
                .Append(" source=").Append(source).Append(" msg=");
            AppendLogfmtValue(line, message);
            foreach (var (key, value) in Fields(state))
            {
                line.Append(' ').Append(key).Append('=');
                AppendLogfmtValue(line, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
            }
            if (error is not null)
            {
                line.Append(" err=");
                AppendLogfmtValue(line, error.Message);
            }
        }
        lock (_gate) _output.WriteLine(line.ToString());
    }

    private static IEnumerable<KeyValuePair<string, object?>> Fields(IReadOnlyList<KeyValuePair<string, object?>>? state)
    {
        if (state is null) yield break;
        foreach (var kv in state)
            if (kv.Key != "{OriginalFormat}") yield return kv;
    }

    private static void AppendLogfmtValue(StringBuilder line, string value)
    {
        bool quote = value.Length == 0 || value.AsSpan().IndexOfAny(" =\"\\\n\t") >= 0;
        if (!quote)
        {
            line.Append(value);
            return;
        }
        line.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': line.Append("\\\""); break;
                case '\\': line.Append("\\\\"); break;
                case '\n': line.Append("\\n"); break;
                case '\t': line.Append("\\t"); break;
                default: line.Append(c); break;
            }
        }
        line.Append('"');
    }

    /// <summary>The syslog priority journald reads from a <c>&lt;N&gt;</c> prefix (sd-daemon.h: SD_ERR … SD_DEBUG).</summary>
    internal static int SyslogPriority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => 7,
        LogLevel.Information => 6,
        LogLevel.Warning => 4,
        LogLevel.Error => 3,
        _ => 2, // Critical: SD_CRIT
    };

    internal static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        _ => "error",
    };

    private sealed class Logger(StderrLoggerProvider provider, string source, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            provider.Write(logLevel, source, formatter(state, exception),
                state as IReadOnlyList<KeyValuePair<string, object?>>, exception);
        }
    }
}
