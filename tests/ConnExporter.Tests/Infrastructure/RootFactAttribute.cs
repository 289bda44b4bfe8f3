namespace ConnExporter.Tests.Infrastructure;

/// <summary>
/// A fact that needs root (network namespaces, other processes' fds). Run without root it is
/// skipped with the reason; under <c>CI=true</c> it is never skipped, so a missing privilege
/// fails the run instead of hiding.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess && !TestEnvironment.IsCi)
            Skip = "needs root (network namespaces, /proc/<pid>/fd of other processes); run the suite as root";
    }
}

/// <summary>A <see cref="RootFactAttribute"/> that takes data rows.</summary>
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        if (!Environment.IsPrivilegedProcess && !TestEnvironment.IsCi)
            Skip = "needs root (network namespaces, /proc/<pid>/fd of other processes); run the suite as root";
    }
}

public static class TestEnvironment
{
    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Directory of the test assembly, where fixtures and scenarios are copied.</summary>
    public static string BaseDirectory => AppContext.BaseDirectory;

    public static string Fixture(params string[] parts)
    {
        var path = Path.Combine([BaseDirectory, "Fixtures", .. parts]);
        // A missing fixture must not let a parse-error test pass for the wrong reason.
        if (!File.Exists(path)) throw new FileNotFoundException("test fixture missing", path);
        return path;
    }
}
