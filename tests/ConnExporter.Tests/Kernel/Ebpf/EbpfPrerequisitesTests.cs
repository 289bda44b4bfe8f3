using ConnExporter.Kernel.Ebpf;

namespace ConnExporter.Tests.Kernel.Ebpf;

public sealed class EbpfPrerequisitesTests
{
    private static string Status(string capEff) => $"Name:\tconn-exporter\nCapInh:\t0000000000000000\nCapEff:\t{capEff}\nCapBnd:\t000001ffffffffff\n";

    [Theory]
    [InlineData("000001ffffffffff")] // root
    [InlineData("000000c000000000")] // CAP_BPF + CAP_PERFMON only
    [InlineData("0000000000200000")] // CAP_SYS_ADMIN only
    public void EnoughCapabilities(string capEff) =>
        Assert.Null(EbpfPrerequisites.MissingCapabilities(Status(capEff)));

    [Fact]
    public void NamesEachMissingCapabilityAndHowToGrantIt()
    {
        var onlyBpf = EbpfPrerequisites.MissingCapabilities(Status("0000008000000000"));
        Assert.NotNull(onlyBpf);
        Assert.StartsWith("missing CAP_PERFMON:", onlyBpf);
        Assert.Contains("AmbientCapabilities=CAP_BPF CAP_PERFMON", onlyBpf);

        var none = EbpfPrerequisites.MissingCapabilities(Status("0000000000000000"));
        Assert.StartsWith("missing CAP_BPF and CAP_PERFMON:", none);
    }

    [Fact]
    public void UnreadableStatusLeavesTheVerdictToTheLoad() =>
        Assert.Null(EbpfPrerequisites.MissingCapabilities(""));

    [Fact]
    public void ThisKernelHasItsBtf()
    {
        // The machine the tests run on is the supported case: Linux ≥ 5.8 with /sys/kernel/btf/vmlinux.
        Assert.True(File.Exists(EbpfPrerequisites.KernelBtfPath), $"{EbpfPrerequisites.KernelBtfPath} is missing on the test host");
        Assert.Null(EbpfPrerequisites.KernelBtf(Environment.OSVersion.Version));
    }

    [Fact]
    public void MissingKernelBtfIsOneLineNamingTheFileAndTheKernelOption()
    {
        var reason = EbpfPrerequisites.KernelBtf(new Version(6, 1), "/nonexistent/btf/vmlinux");
        Assert.NotNull(reason);
        Assert.DoesNotContain('\n', reason);
        Assert.Contains("/nonexistent/btf/vmlinux", reason);
        Assert.Contains("CONFIG_DEBUG_INFO_BTF=y", reason);
    }

    [Fact]
    public void KernelsBefore58AreTooOldWhateverTheirBtf()
    {
        var reason = EbpfPrerequisites.KernelBtf(new Version(5, 4), EbpfPrerequisites.KernelBtfPath);
        Assert.NotNull(reason);
        Assert.StartsWith("Linux 5.4 is too old", reason);
        Assert.Contains("5.8", reason);
        Assert.Null(EbpfPrerequisites.KernelBtf(new Version(5, 8), EbpfPrerequisites.KernelBtfPath));
    }

    [Theory]
    [InlineData("Name:\tconn-exporter\nSeccomp:\t2\nSeccomp_filters:\t1\n", true)]
    [InlineData("Name:\tconn-exporter\nSeccomp:\t0\n", false)]
    [InlineData("Name:\tconn-exporter\nSeccomp:\t1\n", false)]   // strict mode would have killed us long before
    [InlineData("Name:\tconn-exporter\n", false)]                 // kernel without CONFIG_SECCOMP
    public void A_refused_load_under_a_seccomp_filter_names_the_filter_and_the_fix(string status, bool filtered)
    {
        var reason = EbpfPrerequisites.SeccompRefusal(status);
        if (!filtered)
        {
            Assert.Null(reason);
            return;
        }
        Assert.NotNull(reason);
        Assert.DoesNotContain('\n', reason);
        Assert.Contains("seccomp filter", reason);
        Assert.Contains("bpf", reason);
        Assert.Contains("Localhost", reason);
        Assert.Contains("--no-collector.ebpf", reason);
    }

    /// <summary>This test process's own status line parses (root, no filter: the suite runs unconfined).</summary>
    [Fact]
    public void This_process_status_has_a_seccomp_line() =>
        Assert.Contains(File.ReadAllText("/proc/self/status").Split('\n'), l => l.StartsWith("Seccomp:", StringComparison.Ordinal));
}
