using System.Runtime.Versioning;

namespace ConnExporter.Tests.Inventory;

/// <summary>
/// A procfs look-alike in a temp directory: <c>&lt;pid&gt;/stat</c>, <c>cgroup</c>, an
/// <c>exe</c> link and <c>fd/&lt;n&gt;</c> links with <c>socket:[inode]</c> targets (readlink
/// returns any string a symlink holds, so they behave like the kernel's).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class FakeProcfs : IDisposable
{
    public string Root { get; }

    public FakeProcfs()
    {
        Root = Directory.CreateTempSubdirectory("cxt-procfs-").FullName;
        // mkdtemp makes 0700; tests that drop privileges must still enter it.
        File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(Root, "self"), "1"); // not a pid: must be skipped
        Directory.CreateDirectory(Path.Combine(Root, "sys"));
        File.WriteAllText(Path.Combine(Root, "uptime"), "1.0 1.0\n");
    }

    public void AddProcess(int pid, string comm, ulong startTime, string cgroupPath, string exe = "/usr/bin/fake")
    {
        var dir = Path.Combine(Root, pid.ToString());
        Directory.CreateDirectory(Path.Combine(dir, "fd"));
        SetStat(pid, comm, startTime);
        SetCgroup(pid, cgroupPath);
        File.CreateSymbolicLink(Path.Combine(dir, "exe"), exe);
    }

    public void SetStat(int pid, string comm, ulong startTime) =>
        File.WriteAllText(Path.Combine(Root, pid.ToString(), "stat"),
            $"{pid} ({comm}) S 1 {pid} {pid} 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 {startTime} 1000 10 18446744073709551615 0 0\n");

    public void SetCgroup(int pid, string path) =>
        File.WriteAllText(Path.Combine(Root, pid.ToString(), "cgroup"), $"0::{path}\n");

    public void AddSocket(int pid, int fd, ulong inode) => Link(pid, fd, $"socket:[{inode}]");

    public void Link(int pid, int fd, string target)
    {
        var path = Path.Combine(Root, pid.ToString(), "fd", fd.ToString());
        File.Delete(path);
        File.CreateSymbolicLink(path, target);
    }

    public void Close(int pid, int fd) => File.Delete(Path.Combine(Root, pid.ToString(), "fd", fd.ToString()));

    public void RemoveProcess(int pid) => Directory.Delete(Path.Combine(Root, pid.ToString()), recursive: true);

    public string FdDirectory(int pid) => Path.Combine(Root, pid.ToString(), "fd");

    public void Dispose()
    {
        foreach (var fd in Directory.EnumerateDirectories(Root, "fd", SearchOption.AllDirectories))
            File.SetUnixFileMode(fd, (UnixFileMode)0b111_101_101);
        Directory.Delete(Root, recursive: true);
    }
}
