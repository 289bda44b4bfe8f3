namespace ConnExporter.Web.Security;

/// <summary>
/// The web config file, or a file it names, cannot be used. The message is one line that names
/// the file and the problem; at start it ends the exporter with exit code 2, on reload the last
/// good config stays in force.
/// </summary>
public sealed class WebConfigException : Exception
{
    public WebConfigException(string message) : base(OneLine(message)) { }
    public WebConfigException() { }
    public WebConfigException(string message, Exception inner) : base(OneLine(message), inner) { }

    private static string OneLine(string message) =>
        message.ReplaceLineEndings(" ").Replace('\t', ' ').Trim();
}
