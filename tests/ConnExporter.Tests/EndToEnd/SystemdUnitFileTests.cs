using System.Globalization;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.EndToEnd;

/// <summary>
/// The shipped unit files, checked by the host's systemd-analyze (it works without systemd as
/// PID 1): <c>verify</c> says nothing, and <c>security --offline=true</c> rates the exposure.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class SystemdUnitFileTests
{
    private static readonly string[] Units =
    [
        "conn-exporter.service", "conn-exporter-inventory.service", "conn-exporter-root.service",
        "conn-exporter.socket", "conn-exporter-https.socket",
    ];

    [RootFact]
    public void Verify_prints_nothing_for_any_unit()
    {
        // verify also checks that ExecStart= is executable. /usr/bin/conn-exporter is not
        // installed on the host, so a private mount namespace (unshare -m, private propagation)
        // lays the shipped wrapper over /usr/bin: the host's /usr/bin is left untouched.
        var staging = Directory.CreateTempSubdirectory("conn-exporter-verify-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(staging, "bin"));
            File.Copy(E2eEnvironment.Packaging("conn-exporter.sh"), Path.Combine(staging, "bin", "conn-exporter"));
            File.SetUnixFileMode(Path.Combine(staging, "bin", "conn-exporter"), (UnixFileMode)0b111_101_101);
            var script = $"mount -t overlay overlay -o lowerdir={staging}/bin:/usr/bin /usr/bin && " +
                         "systemd-analyze verify " + string.Join(' ', Units.Select(u => E2eEnvironment.Deploy("systemd", u)));
            var r = HostCommand.Run("unshare", ["-m", "--propagation", "private", "sh", "-c", script]);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal("", r.Stderr);
            Assert.Equal("", r.Stdout);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    [Fact]
    public void Verify_would_report_a_broken_unit()
    {
        // The check above is only worth something if verify speaks up on this systemd.
        var dir = Directory.CreateTempSubdirectory("conn-exporter-verify-").FullName;
        try
        {
            var unit = Path.Combine(dir, "broken-e2e.service");
            File.WriteAllText(unit, "[Service]\nExecStart=/bin/true\nNoSuchSetting=1\n");
            var r = HostCommand.Run("systemd-analyze", ["verify", unit]);
            Assert.Contains("NoSuchSetting", r.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("conn-exporter.service", 2.0)]
    [InlineData("conn-exporter-inventory.service", 1.2)]
    [InlineData("conn-exporter-root.service", 2.3)]
    public void Exposure_is_at_most(string unit, double most)
    {
        var r = HostCommand.Run("systemd-analyze", ["security", "--offline=true", "--no-pager", E2eEnvironment.Deploy("systemd", unit)]);
        var m = Overall().Match(r.Stdout);
        Assert.True(m.Success, r.ToString());
        var exposure = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= most, $"{unit}: exposure {exposure} > {most}\n{r.Stdout}");
    }

    [Fact]
    public void Ambient_capabilities_are_inside_the_bounding_set()
    {
        // An ambient capability outside the bounding set is dropped silently by the kernel.
        foreach (var unit in Units.Where(u => u.EndsWith(".service", StringComparison.Ordinal)))
        {
            var lines = File.ReadAllLines(E2eEnvironment.Deploy("systemd", unit));
            var bounding = Values(lines, "CapabilityBoundingSet");
            foreach (var cap in Values(lines, "AmbientCapabilities"))
                Assert.Contains(cap, bounding);
        }
    }

    [Fact]
    public void Sockets_repeat_the_service_ip_filter()
    {
        // Accepted connections belong to the socket unit's cgroup: the service's filter does not apply.
        var service = File.ReadAllLines(E2eEnvironment.Deploy("systemd", "conn-exporter.service"));
        foreach (var socket in new[] { "conn-exporter.socket", "conn-exporter-https.socket" })
        {
            var lines = File.ReadAllLines(E2eEnvironment.Deploy("systemd", socket));
            Assert.Equal(Values(service, "IPAddressDeny"), Values(lines, "IPAddressDeny"));
            Assert.Equal(Values(service, "IPAddressAllow"), Values(lines, "IPAddressAllow"));
        }
    }

    private static List<string> Values(string[] lines, string key) =>
        lines.Where(l => l.StartsWith(key + "=", StringComparison.Ordinal))
            .SelectMany(l => l[(key.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+\.\d+)")]
    private static partial Regex Overall();
}
