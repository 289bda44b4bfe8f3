using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Kernel.Ebpf;

/// <summary>
/// A fact that needs the eBPF toolchain scripts/prereqs.d/50-ebpf.sh installs (clang-14,
/// llvm-strip-14, libbpf-dev headers, bpftool). Skipped without it, except under CI=true.
/// </summary>
public sealed class EbpfToolchainFactAttribute : FactAttribute
{
    private static readonly string[] Required =
        ["/usr/bin/clang-14", "/usr/bin/llvm-strip-14", "/usr/include/bpf/bpf_helpers.h", "/usr/include/linux/bpf.h"];

    public EbpfToolchainFactAttribute()
    {
        var missing = Required.Where(p => !File.Exists(p)).ToList();
        if (!HasBpftool()) missing.Add("bpftool");
        if (missing.Count > 0 && !TestEnvironment.IsCi)
            Skip = $"needs the eBPF toolchain (scripts/prereqs.d/50-ebpf.sh): missing {string.Join(", ", missing)}";
    }

    public static bool HasBpftool() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin").Split(':').Append("/usr/sbin")
            .Any(dir => File.Exists(Path.Combine(dir, "bpftool")));
}

/// <summary>An <see cref="EbpfToolchainFactAttribute"/> that takes data rows.</summary>
public sealed class EbpfToolchainTheoryAttribute : TheoryAttribute
{
    public EbpfToolchainTheoryAttribute()
    {
        Skip = new EbpfToolchainFactAttribute().Skip;
    }
}
