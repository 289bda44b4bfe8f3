namespace ConnExporter.Cli;

/// <summary>
/// One command-line flag in the Prometheus (kingpin) style: <c>--name=value</c> or
/// <c>--name value</c>; booleans also take <c>--no-name</c>; repeatable flags collect values.
/// </summary>
public sealed class Flag
{
    public Flag(string name, string help, string? defaultValue = null, bool isBool = false,
        bool repeatable = false, string? placeholder = null, IReadOnlyList<string>? allowed = null)
    {
        Name = name;
        Help = help;
        Default = defaultValue;
        IsBool = isBool;
        Repeatable = repeatable;
        Placeholder = placeholder;
        Allowed = allowed;
    }

    public string Name { get; }
    public string Help { get; }
    public string? Default { get; }
    public bool IsBool { get; }
    public bool Repeatable { get; }
    public string? Placeholder { get; }

    /// <summary>When set, the only values accepted (an enum flag).</summary>
    public IReadOnlyList<string>? Allowed { get; }
}
