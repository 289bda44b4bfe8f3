using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ConnExporter.Kernel.Ebpf;

/// <summary>
/// What the eBPF collector needs before libbpf is asked anything, each check answering with a
/// sentence that says what is missing and how to grant it (null when satisfied).
/// </summary>
internal static class EbpfPrerequisites
{
    // include/uapi/linux/capability.h
    private const int CapSysAdmin = 21;
    private const int CapPerfmon = 38;
    private const int CapBpf = 39;

    public const string TracefsMountPoint = "/sys/kernel/tracing";
    private const string DebugfsTracing = "/sys/kernel/debug/tracing";
    private const string TracepointId = "events/sock/inet_sock_set_state/id";

    public const string GrantHint =
        "run as root or grant CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH (systemd: AmbientCapabilities=CAP_BPF CAP_PERFMON CAP_DAC_READ_SEARCH; Linux before 5.8: CAP_SYS_ADMIN)";

    /// <summary>
    /// Checks the effective capabilities in <c>/proc/self/status</c> (its CapEff line):
    /// CAP_BPF + CAP_PERFMON since Linux 5.8, CAP_SYS_ADMIN before (or instead).
    /// </summary>
    public static string? MissingCapabilities(string procSelfStatus, Version kernel)
    {
        ulong effective = 0;
        bool found = false;
        foreach (var line in procSelfStatus.Split('\n'))
        {
            if (!line.StartsWith("CapEff:", StringComparison.Ordinal)) continue;
            found = ulong.TryParse(line.AsSpan("CapEff:".Length).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out effective);
            break;
        }
        if (!found) return null; // unknown: let the load say what fails
        bool Has(int cap) => (effective & (1UL << cap)) != 0;
        if (Has(CapSysAdmin)) return null;
        bool modern = kernel >= new Version(5, 8);
        if (modern && Has(CapBpf) && Has(CapPerfmon)) return null;
        var missing = new List<string>();
        if (!modern) missing.Add("CAP_SYS_ADMIN (Linux before 5.8)");
        else
        {
            if (!Has(CapBpf)) missing.Add("CAP_BPF");
            if (!Has(CapPerfmon)) missing.Add("CAP_PERFMON");
        }
        return $"missing {string.Join(" and ", missing)}: {GrantHint}";
    }

    /// <summary>
    /// libbpf reads the tracepoint's id from tracefs (<c>/sys/kernel/debug/tracing</c> when that
    /// exists, else <c>/sys/kernel/tracing</c>). Mounts tracefs when it is missing and
    /// <paramref name="mount"/> allows; says what is wrong otherwise.
    /// </summary>
    public static string? Tracefs(bool mount)
    {
        string dir = Directory.Exists(DebugfsTracing) ? DebugfsTracing : TracefsMountPoint;
        var result = ReadId(dir);
        if (result != IdResult.NotMounted || dir != TracefsMountPoint) return Describe(result, dir);
        if (!mount)
            return $"tracefs is not mounted at {TracefsMountPoint}: mount -t tracefs tracefs {TracefsMountPoint} (or pass the mount to the container)";
        var error = MountTracefs();
        if (error is not null)
            return $"tracefs is not mounted at {TracefsMountPoint} and mounting it failed ({error}): mount -t tracefs tracefs {TracefsMountPoint}";
        return Describe(ReadId(dir), dir);
    }

    private enum IdResult { Ok, NotMounted, NoTracepoint, Denied }

    private static string? Describe(IdResult result, string dir) => result switch
    {
        IdResult.Ok => null,
        IdResult.NotMounted => $"tracefs is not mounted at {dir}: mount -t tracefs tracefs {TracefsMountPoint}",
        IdResult.NoTracepoint => "the kernel has no sock:inet_sock_set_state tracepoint (Linux 4.16 or later is needed)",
        _ => $"cannot read {dir}/{TracepointId} (tracefs is root-only): {GrantHint}",
    };

    private static IdResult ReadId(string dir)
    {
        try
        {
            File.ReadAllText(Path.Combine(dir, TracepointId));
            return IdResult.Ok;
        }
        catch (UnauthorizedAccessException)
        {
            return IdResult.Denied;
        }
        catch (IOException)
        {
            try
            {
                // tracefs always has "events"; an empty mount point has nothing.
                if (!Directory.Exists(Path.Combine(dir, "events")))
                    return Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any() ? IdResult.NoTracepoint : IdResult.NotMounted;
            }
            catch (UnauthorizedAccessException)
            {
                return IdResult.Denied;
            }
            catch (IOException)
            {
                return IdResult.NotMounted;
            }
            return IdResult.NoTracepoint;
        }
    }

    private static unsafe string? MountTracefs()
    {
        var tracefs = "tracefs\0"u8;
        var target = Encoding.UTF8.GetBytes(TracefsMountPoint + "\0");
        fixed (byte* fs = tracefs)
        fixed (byte* t = target)
        {
            if (Interop.Libbpf.Mount(fs, t, fs, 0, null) == 0) return null;
        }
        return Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
    }
}
