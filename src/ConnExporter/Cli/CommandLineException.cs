namespace ConnExporter.Cli;

/// <summary>A bad flag, value or argument: printed as one line, exit code 2.</summary>
public sealed class CommandLineException : Exception
{
    public CommandLineException(string message) : base(message) { }
    public CommandLineException() { }
    public CommandLineException(string message, Exception inner) : base(message, inner) { }
}
