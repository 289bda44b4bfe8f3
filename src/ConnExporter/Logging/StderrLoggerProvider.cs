using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Logging;

/// <summary>
/// Writes one line per event to stderr, logfmt or JSON, as Prometheus exporters do
/// (<c>time=… level=warn source=… msg="…" key=value</c>). Own provider rather than the console
/// logger: its formatters are not logfmt, and registering custom ones needs options binding.
/// </summary>
public sealed class StderrLoggerProvider : ILoggerProvider
{
    private readonly LogFormat _format;
    private readonly LogLevel _minimum;
    private readonly TextWriter _output;
    private readonly Lock _gate = new();

    public StderrLoggerProvider(LogFormat format, LogLevel minimum, TextWriter? output = null)
    {
        _format = format;
        _minimum = minimum;
        _output = output ?? Console.Error;
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, ShortName(categoryName));

    public void Dispose() { }

    private static string ShortName(string category) =>
        category[(category.LastIndexOf('.') + 1)..];

    private void Write(LogLevel level, string source, string message, IReadOnlyList<KeyValuePair<string, object?>>? state, Exception? error)
    {
        var line = new StringBuilder(128);
        var time = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        if (_format == LogFormat.Json)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("time", time);
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
            line.Append("time=").Append(time).Append(" level=").Append(LevelName(level))
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

    internal static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        _ => "error",
    };

    private sealed class Logger(StderrLoggerProvider provider, string source) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            provider.Write(logLevel, source, formatter(state, exception),
                state as IReadOnlyList<KeyValuePair<string, object?>>, exception);
        }
    }
}
