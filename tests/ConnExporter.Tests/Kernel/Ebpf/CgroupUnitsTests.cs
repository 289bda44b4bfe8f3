using ConnExporter.Kernel.Ebpf;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Kernel.Ebpf;

public sealed class CgroupUnitsTests
{
    [Theory]
    [InlineData("mountinfo-unified", "/sys/fs/cgroup")]
    [InlineData("mountinfo-hybrid", "/sys/fs/cgroup/unified")]
    [InlineData("mountinfo-escaped", "/run/my cgroup")]
    [InlineData("mountinfo-v1-only", null)]
    public void FindsTheCgroup2MountPoint(string fixture, string? expected) =>
        Assert.Equal(expected, CgroupUnits.FindCgroup2Mount(TestEnvironment.Fixture("ebpf", fixture)));

    [RootFact]
    public void ResolvesCgroupIdsToTheUnitOfTheirDirectory()
    {
        var units = new CgroupUnits();
        Assert.NotNull(units.Root);
        string unit = $"cxu{Random.Shared.Next(100000, 999999)}.service";
        string slice = Path.Combine(units.Root!, $"cxu{Random.Shared.Next(100000, 999999)}.slice");
        string dir = Path.Combine(slice, unit);
        Directory.CreateDirectory(dir);
        try
        {
            // The cgroup id is the directory's inode number on 64-bit kernels.
            ulong id = Inode(dir);
            Assert.Equal(unit, units.Resolve(id));
            Assert.Equal("", units.Resolve(Inode(units.Root!)));
            Assert.Equal(Path.GetFileName(slice), new CgroupUnits().Resolve(Inode(slice)));
        }
        finally
        {
            Directory.Delete(dir);
            Directory.Delete(slice);
        }
    }

    private static ulong Inode(string path)
    {
        var output = NetworkNamespace.Run("stat", $"-c %i \"{path}\"");
        return ulong.Parse(output.Trim());
    }
}
