namespace ConnExporter.Web.Security;

/// <summary>A problem inside the YAML, before the file name is prefixed.</summary>
internal sealed class WebConfigProblem : Exception
{
    public WebConfigProblem(string message) : base(message) { }
    public WebConfigProblem() { }
    public WebConfigProblem(string message, Exception inner) : base(message, inner) { }
}
