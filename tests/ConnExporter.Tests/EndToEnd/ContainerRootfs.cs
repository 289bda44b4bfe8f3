using System.Security.Cryptography;
using System.Text;

namespace ConnExporter.Tests.EndToEnd;

/// <summary>
/// The Debian minbase root file system the containers boot: built once by mmdebstrap (~30-40 s),
/// kept as a tarball under <see cref="E2eEnvironment.CacheDirectory"/> named by a hash of its
/// suite and package list (a changed list builds a new one), and unpacked beside it once. The
/// containers use it read-only (<c>--volatile=overlay</c>), so one copy serves every test.
/// </summary>
public static class ContainerRootfs
{
    /// <summary>
    /// systemd and dbus to boot; libnss-systemd names DynamicUser= users; init-system-helpers
    /// has deb-systemd-helper/-invoke for the .deb's maintainer scripts; curl scrapes; netcat
    /// holds a root-owned listener; iproute2 (ss) helps when a test fails and brings libbpf1, the
    /// .deb's other dependency, which the eBPF collector loads (not listed: a changed list is a new
    /// rootfs, and other checkouts sharing the cache would rebuild theirs). The .NET runtime
    /// itself is bind-mounted from the host: libstdc++6, zlib1g and libssl3 are what it loads.
    /// </summary>
    public static readonly string[] Packages =
    [
        "systemd", "systemd-sysv", "dbus", "libnss-systemd", "init-system-helpers",
        "curl", "netcat-openbsd", "iproute2", "procps", "libstdc++6", "zlib1g", "libssl3",
    ];

    private static readonly Lock Gate = new();
    private static string? _directory;

    /// <summary>The unpacked rootfs, building and unpacking it first when needed.</summary>
    public static string Directory
    {
        get
        {
            lock (Gate) return _directory ??= Prepare();
        }
    }

    public static string Suite { get; } = ReadCodename();

    public static string Hash { get; } = Convert.ToHexStringLower(
        SHA256.HashData(Encoding.UTF8.GetBytes(Suite + "\n" + string.Join(",", Packages))))[..12];

    private static string Prepare()
    {
        System.IO.Directory.CreateDirectory(E2eEnvironment.CacheDirectory);
        var tarball = Path.Combine(E2eEnvironment.CacheDirectory, $"rootfs-{Hash}.tar");
        var directory = Path.Combine(E2eEnvironment.CacheDirectory, $"rootfs-{Hash}");
        var complete = Path.Combine(directory, ".complete");
        // Another test run (another process) may be building it: one builder at a time.
        using var cacheLock = CacheLock.Acquire(Path.Combine(E2eEnvironment.CacheDirectory, "rootfs.lock"), TimeSpan.FromMinutes(10));
        if (File.Exists(complete))
        {
            // Marks it in use, so a run of another package list (another branch) keeps it.
            File.SetLastWriteTimeUtc(complete, DateTime.UtcNow);
            return directory;
        }
        RemoveStale(tarball, directory);
        if (!File.Exists(tarball))
        {
            // mmdebstrap picks its output format from the name: keep ".tar" at the end.
            var partial = Path.Combine(E2eEnvironment.CacheDirectory, $"rootfs-{Hash}.partial.tar");
            File.Delete(partial);
            var args = new List<string>
            {
                "--variant=minbase", "--format=tar", "--include=" + string.Join(",", Packages), "--quiet", Suite, partial,
            };
            // The host's own APT sources: same mirror (or proxy) the host is known to reach.
            args.AddRange(HostSources());
            HostCommand.Check("mmdebstrap", args, TimeSpan.FromMinutes(8));
            File.Move(partial, tarball);
        }
        if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: true);
        System.IO.Directory.CreateDirectory(directory);
        HostCommand.Check("tar", ["--numeric-owner", "-xpf", tarball, "-C", directory], TimeSpan.FromMinutes(3));
        File.WriteAllText(complete, string.Join("\n", Packages) + "\n");
        return directory;
    }

    /// <summary>
    /// Rootfs builds of other package lists, ~250 MB each: superseded once no run has used
    /// them for a day (a test run of another branch may still be using one now).
    /// </summary>
    private static void RemoveStale(string tarball, string directory)
    {
        var unusedSince = DateTime.UtcNow - TimeSpan.FromDays(1);
        foreach (var path in System.IO.Directory.GetFileSystemEntries(E2eEnvironment.CacheDirectory, "rootfs-*"))
        {
            if (path == tarball || path == directory || path.EndsWith(".lock", StringComparison.Ordinal)) continue;
            var build = path.EndsWith(".tar", StringComparison.Ordinal) ? path[..^".tar".Length] : path;
            var used = Path.Combine(build, ".complete");
            if (File.Exists(used) && File.GetLastWriteTimeUtc(used) > unusedSince) continue;
            if (System.IO.Directory.Exists(path)) System.IO.Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
    }

    private static IEnumerable<string> HostSources()
    {
        var files = new List<string>();
        if (File.Exists("/etc/apt/sources.list") && File.ReadAllLines("/etc/apt/sources.list")
                .Any(l => l.TrimStart().StartsWith("deb ", StringComparison.Ordinal)))
            files.Add("/etc/apt/sources.list");
        if (System.IO.Directory.Exists("/etc/apt/sources.list.d"))
            files.AddRange(System.IO.Directory.GetFiles("/etc/apt/sources.list.d", "*.sources").Order(StringComparer.Ordinal));
        return files.Count > 0 ? files : ["http://deb.debian.org/debian"];
    }

    private static string ReadCodename()
    {
        foreach (var line in File.ReadLines("/etc/os-release"))
        {
            if (line.StartsWith("VERSION_CODENAME=", StringComparison.Ordinal))
                return line["VERSION_CODENAME=".Length..].Trim('"');
        }
        return "bookworm";
    }
}
