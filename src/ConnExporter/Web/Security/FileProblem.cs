namespace ConnExporter.Web.Security;

/// <summary>
/// Words for why a file could not be read. The exporter is built with UseSystemResourceKeys, so
/// framework exception messages are resource keys; an operator gets these instead.
/// </summary>
internal static class FileProblem
{
    public static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        PathTooLongException => "path too long",
        IOException => $"read error ({e.GetType().Name}, HResult 0x{e.HResult:x8})",
        _ => e.GetType().Name,
    };
}
