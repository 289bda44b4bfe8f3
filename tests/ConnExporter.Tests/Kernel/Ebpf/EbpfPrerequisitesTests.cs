using ConnExporter.Kernel.Ebpf;

namespace ConnExporter.Tests.Kernel.Ebpf;

public sealed class EbpfPrerequisitesTests
{
    private static string Status(string capEff) => $"Name:\tconn-exporter\nCapInh:\t0000000000000000\nCapEff:\t{capEff}\nCapBnd:\t000001ffffffffff\n";

    private static readonly Version Modern = new(6, 18);
    private static readonly Version Old = new(5, 4);

    [Theory]
    [InlineData("000001ffffffffff")] // root
    [InlineData("000000c000000000")] // CAP_BPF + CAP_PERFMON only
    [InlineData("0000000000200000")] // CAP_SYS_ADMIN only
    public void EnoughCapabilitiesOnModernKernels(string capEff) =>
        Assert.Null(EbpfPrerequisites.MissingCapabilities(Status(capEff), Modern));

    [Fact]
    public void NamesEachMissingCapabilityAndHowToGrantIt()
    {
        var onlyBpf = EbpfPrerequisites.MissingCapabilities(Status("0000008000000000"), Modern);
        Assert.NotNull(onlyBpf);
        Assert.StartsWith("missing CAP_PERFMON:", onlyBpf);
        Assert.Contains("AmbientCapabilities=CAP_BPF CAP_PERFMON", onlyBpf);

        var none = EbpfPrerequisites.MissingCapabilities(Status("0000000000000000"), Modern);
        Assert.StartsWith("missing CAP_BPF and CAP_PERFMON:", none);
    }

    [Fact]
    public void KernelsBefore58NeedSysAdmin()
    {
        Assert.StartsWith("missing CAP_SYS_ADMIN", EbpfPrerequisites.MissingCapabilities(Status("000000c000000000"), Old));
        Assert.Null(EbpfPrerequisites.MissingCapabilities(Status("0000000000200000"), Old));
    }

    [Fact]
    public void UnreadableStatusLeavesTheVerdictToTheLoad() =>
        Assert.Null(EbpfPrerequisites.MissingCapabilities("", Modern));
}
