using System.Globalization;
using System.Text;

namespace ConnExporter.Cli;

/// <summary>
/// Parses flags the way node_exporter's users expect (kingpin): long flags only, values
/// after <c>=</c> or as the next argument, <c>--no-</c> negates booleans, unknown flags
/// and bad values fail with one line that names the flag and how to fix it.
/// </summary>
/// <remarks>
/// Own parser rather than System.CommandLine: collector flags come in
/// <c>--collector.x</c>/<c>--no-collector.x</c> pairs and kingpin's error wording is what
/// operators already grep for; this is ~150 lines and fully trim-safe.
/// </remarks>
public sealed class FlagSet
{
    private readonly Dictionary<string, Flag> _flags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    public FlagSet(string program) => Program = program;

    public string Program { get; }

    public IEnumerable<Flag> Flags => _flags.Values;

    public IReadOnlyList<string> Positional => _positional;

    public Flag Add(Flag flag)
    {
        _flags.Add(flag.Name, flag);
        return flag;
    }

    public void Parse(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                _positional.AddRange(args.Skip(i + 1));
                return;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                if (arg.StartsWith('-') && arg.Length > 1 && arg != "-")
                    throw new CommandLineException($"unknown short flag '{arg}', try --help");
                _positional.Add(arg);
                continue;
            }

            var body = arg[2..];
            string? value = null;
            int eq = body.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = body[(eq + 1)..];
                body = body[..eq];
            }

            if (!_flags.TryGetValue(body, out var flag))
            {
                if (body.StartsWith("no-", StringComparison.Ordinal)
                    && _flags.TryGetValue(body[3..], out var negated) && negated.IsBool)
                {
                    if (value is not null)
                        throw new CommandLineException($"flag '--{body}' takes no value");
                    Set(negated, "false");
                    continue;
                }
                throw new CommandLineException($"unknown long flag '--{body}', try --help");
            }

            if (flag.IsBool)
            {
                value ??= "true";
                if (!bool.TryParse(value, out _))
                    throw new CommandLineException($"invalid value '{value}' for flag '--{flag.Name}': expected true or false");
            }
            else if (value is null)
            {
                if (i + 1 >= args.Count)
                    throw new CommandLineException($"expected argument for flag '--{flag.Name}'");
                value = args[++i];
            }
            Set(flag, value);
        }
    }

    private void Set(Flag flag, string value)
    {
        if (flag.Allowed is { } allowed && !allowed.Contains(value, StringComparer.Ordinal))
            throw new CommandLineException(
                $"invalid value '{value}' for flag '--{flag.Name}': expected one of {string.Join(", ", allowed)}");
        if (!_values.TryGetValue(flag.Name, out var list))
            _values[flag.Name] = list = [];
        else if (!flag.Repeatable)
            list.Clear();
        list.Add(value);
    }

    public bool IsSet(string name) => _values.ContainsKey(name);

    public string? GetString(string name) =>
        _values.TryGetValue(name, out var v) ? v[^1] : _flags[name].Default;

    public IReadOnlyList<string> GetAll(string name) =>
        _values.TryGetValue(name, out var v) ? v
        : _flags[name].Default is { } d ? [d] : [];

    public bool GetBool(string name) => bool.Parse(GetString(name) ?? "false");

    public int GetInt(string name, int min = int.MinValue, int max = int.MaxValue)
    {
        var text = GetString(name);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            || value < min || value > max)
            throw new CommandLineException(
                $"invalid value '{text}' for flag '--{name}': expected an integer from {min} to {max}");
        return value;
    }

    public string Usage(string synopsis)
    {
        var sb = new StringBuilder();
        sb.Append("usage: ").Append(Program).Append(' ').AppendLine(synopsis).AppendLine().AppendLine("Flags:");
        foreach (var f in _flags.Values)
        {
            var left = f.IsBool ? $"--[no-]{f.Name}" : $"--{f.Name}={f.Placeholder ?? f.Name.Split('.')[^1].ToUpperInvariant()}";
            sb.Append("  ").Append(left.PadRight(44)).Append(' ').Append(f.Help);
            if (f.Default is not null && !(f.IsBool && f.Default == "false"))
                sb.Append(" (default: ").Append(f.IsBool ? (f.Default == "true" ? "enabled" : f.Default) : f.Default).Append(')');
            sb.AppendLine();
        }
        return sb.ToString();
    }
}
