using System.Diagnostics;

namespace ConnExporter.Tests.Inventory;

/// <summary>
/// A procfs root that lists one process: a temp directory with the real <c>/proc/&lt;pid&gt;</c>
/// bind-mounted at <c>&lt;pid&gt;</c>. Everything under it is the kernel's (fd links, fd counts,
/// stat), but a scan sees no other process. Needs root; unmounted and removed on dispose.
/// </summary>
internal sealed class SingleProcessProcfs : IDisposable
{
    private readonly string _mountPoint;

    private SingleProcessProcfs(string root, string mountPoint)
    {
        Root = root;
        _mountPoint = mountPoint;
    }

    public string Root { get; }

    public static SingleProcessProcfs Of(int pid)
    {
        var root = Directory.CreateTempSubdirectory("cxt-procview-").FullName;
        var mountPoint = Directory.CreateDirectory(Path.Combine(root, pid.ToString())).FullName;
        Run("mount", "--bind", $"/proc/{pid}", mountPoint);
        return new SingleProcessProcfs(root, mountPoint);
    }

    public void Dispose()
    {
        // Lazy: a scan that still holds the directory open must not keep the mount behind.
        Run("umount", "--lazy", _mountPoint);
        Directory.Delete(Root, recursive: true);
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {error}");
    }
}
