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

    /// <summary>
    /// An id the mount does not show (its cgroup already gone) is named from the path tail the
    /// program recorded; the mount wins for a cgroup it does show.
    /// </summary>
    [Fact]
    public void NamesCgroupsGoneFromTheMountFromTheirRecordedPath()
    {
        string root = Directory.CreateTempSubdirectory("cxu-mount").FullName;
        try
        {
            string live = Directory.CreateDirectory(Path.Combine(root, "system.slice", "live.service")).FullName;
            ulong liveId = Inode(live);
            var recorded = new Dictionary<ulong, string>
            {
                [liveId] = "system.slice/recorded-differently.service",
                [9_000_000_001] = "system.slice/gone.service",
                [9_000_000_002] = "gone.service/payload",      // a sub-cgroup of a delegated unit
                [9_000_000_003] = "user.slice/user-1000.slice", // no service or scope: the slice
                [9_000_000_004] = "/machine",                    // no unit at all
            };
            var units = new CgroupUnits(root, id => recorded.GetValueOrDefault(id));

            Assert.Equal("live.service", units.Resolve(liveId));
            Assert.Equal("gone.service", units.Resolve(9_000_000_001));
            Assert.Equal("gone.service", units.Resolve(9_000_000_002));
            Assert.Equal("user-1000.slice", units.Resolve(9_000_000_003));
            Assert.Equal("", units.Resolve(9_000_000_004));
            Assert.Equal("", units.Resolve(9_000_000_005)); // recorded nothing
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static ulong Inode(string path)
    {
        var output = TestNamespace.Run("stat", $"-c %i \"{path}\"");
        return ulong.Parse(output.Trim());
    }
}
