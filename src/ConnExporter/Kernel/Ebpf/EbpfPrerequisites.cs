using System.Globalization;

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

    /// <summary>Where the kernel exposes its own BTF (CONFIG_DEBUG_INFO_BTF=y), which tp_btf programs are typed by.</summary>
    public const string KernelBtfPath = "/sys/kernel/btf/vmlinux";

    /// <summary>CAP_BPF and CAP_PERFMON exist since Linux 5.8; the program needs its BTF anyway.</summary>
    public static readonly Version MinimumKernel = new(5, 8);

    public const string GrantHint =
        "run as root or grant CAP_BPF and CAP_PERFMON (systemd: AmbientCapabilities=CAP_BPF CAP_PERFMON, with both in CapabilityBoundingSet= and the bpf system call allowed)";

    /// <summary>
    /// The program is a BTF raw tracepoint (<c>tp_btf/inet_sock_set_state</c>): libbpf resolves it
    /// and relocates every field read against <paramref name="btfPath"/>, which Linux 5.8 or
    /// later exposes when built with CONFIG_DEBUG_INFO_BTF=y (current Debian, Ubuntu, Fedora and RHEL kernels are).
    /// </summary>
    public static string? KernelBtf(Version kernel, string btfPath = KernelBtfPath)
    {
        if (kernel < MinimumKernel)
            return $"Linux {kernel.Major}.{kernel.Minor} is too old: the eBPF collector needs Linux {MinimumKernel} or later with BTF ({KernelBtfPath})";
        if (!File.Exists(btfPath))
            return $"the kernel has no BTF at {btfPath}: the eBPF collector needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (Linux {MinimumKernel} or later)";
        return null;
    }

    /// <summary>
    /// Checks the effective capabilities in <c>/proc/self/status</c> (its CapEff line):
    /// CAP_BPF + CAP_PERFMON (loading a tracing program and reading kernel memory through
    /// it), or CAP_SYS_ADMIN, which implies both.
    /// </summary>
    public static string? MissingCapabilities(string procSelfStatus)
    {
        // Unknown: let the load say what fails.
        if (!ulong.TryParse(StatusField(procSelfStatus, "CapEff:"), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong effective))
            return null;
        bool Has(int cap) => (effective & (1UL << cap)) != 0;
        if (Has(CapSysAdmin) || (Has(CapBpf) && Has(CapPerfmon))) return null;
        var missing = new List<string>();
        if (!Has(CapBpf)) missing.Add("CAP_BPF");
        if (!Has(CapPerfmon)) missing.Add("CAP_PERFMON");
        return $"missing {string.Join(" and ", missing)}: {GrantHint}";
    }

    /// <summary>
    /// What a refused load (EPERM/EACCES) means when the capabilities are there: with a seccomp
    /// filter on this process (<c>Seccomp: 2</c> in <c>/proc/self/status</c>) the filter most
    /// likely refused the bpf system call, which container runtimes' default profiles allow only
    /// with CAP_SYS_ADMIN (podman and CRI-O, Docker before 23, older containerd);
    /// null when no filter is on.
    /// </summary>
    public static string? SeccompRefusal(string procSelfStatus)
    {
        if (StatusField(procSelfStatus, "Seccomp:") is not "2") return null;
        return "CAP_BPF and CAP_PERFMON are held, but a seccomp filter is on and most likely refused the bpf system call: " +
            "a container runtime's default profile allows bpf(2) only with CAP_SYS_ADMIN on podman, CRI-O, Docker < 23 and older containerd; " +
            "give the container a seccomp profile that allows bpf with CAP_BPF (Kubernetes: securityContext.seccompProfile type Localhost, " +
            "see docs/kubernetes.md), or turn the collector off with --no-collector.ebpf; " +
            "under systemd, SystemCallFilter= must allow bpf";
    }

    /// <summary>The value of a <c>/proc/self/status</c> line ("Key:\tvalue"), trimmed; empty when there is no such line.</summary>
    private static ReadOnlySpan<char> StatusField(string procSelfStatus, string key)
    {
        foreach (var range in procSelfStatus.AsSpan().Split('\n'))
        {
            var line = procSelfStatus.AsSpan(range);
            if (line.StartsWith(key, StringComparison.Ordinal)) return line[key.Length..].Trim();
        }
        return [];
    }
}
