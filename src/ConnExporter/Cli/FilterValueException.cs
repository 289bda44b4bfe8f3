namespace ConnExporter.Cli;

/// <summary>A filter value that cannot be used: names the parameter (a flag or query parameter
/// of that name), the value and what it takes, so each caller words it for its own users.</summary>
public sealed class FilterValueException : Exception
{
    public FilterValueException(string parameter, string value, string expected)
        : base($"invalid value '{value}' for '{parameter}': {expected}")
    {
        Parameter = parameter;
        Value = value;
        Expected = expected;
    }

    public FilterValueException()
    {
        Parameter = Value = Expected = "";
    }

    public FilterValueException(string message)
        : base(message)
    {
        Parameter = Value = Expected = "";
    }

    public FilterValueException(string message, Exception innerException)
        : base(message, innerException)
    {
        Parameter = Value = Expected = "";
    }

    /// <summary>The parameter's name without dashes, e.g. <c>state</c>.</summary>
    public string Parameter { get; }

    public string Value { get; }

    /// <summary>What the parameter takes, e.g. <c>expected tcp or udp</c>.</summary>
    public string Expected { get; }
}
