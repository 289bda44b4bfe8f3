using System.Runtime.Versioning;
using ConnExporter.Tests.Infrastructure;
using ConnExporter.Tests.Systemd;

namespace ConnExporter.Tests.EndToEnd;

/// <summary>A clean container for the package tests (nothing installed).</summary>
[SupportedOSPlatform("linux")]
public sealed class PackageContainer : IDisposable
{
    public const string DebInside = "/opt/conn-exporter-deb";
    public const string BuildInside = "/opt/conn-exporter-build";
    public const string SourceInside = "/opt/conn-exporter-src";

    public PackageContainer()
    {
        Deb = ExporterBuild.DebPackage;
        Container = new SystemdContainer("ce-pkg-" + Guid.NewGuid().ToString("N")[..6],
        [
            (Path.GetDirectoryName(Deb)!, DebInside),
            (ExporterBuild.Directory, BuildInside),
            (E2eEnvironment.RepoRoot, SourceInside),
        ]);
    }

    public string Deb { get; }

    public SystemdContainer Container { get; }

    public void Dispose() => Container.Dispose();
}

/// <summary>
/// packaging/build-deb.sh's package and packaging/install.sh under a real systemd: install,
/// enable, start, and leave nothing behind. Each test leaves the container as it found it.
/// </summary>
// Their processes (containers, supervised exporters) would show in host-wide /proc scans
// other tests measure: run with the other host-process tests, after the parallel ones.
[Collection(HostProcessesCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class PackageTests : IClassFixture<PackageContainer>
{
    private readonly SystemdContainer _c;
    private readonly string _deb;
    private readonly string _debOnHost;

    public PackageTests(PackageContainer fixture)
    {
        _c = fixture.Container;
        _debOnHost = fixture.Deb;
        _deb = PackageContainer.DebInside + "/" + Path.GetFileName(fixture.Deb);
    }

    [RootFact]
    public void Deb_installs_enables_starts_and_purges_cleanly()
    {
        // The package holds the Native AOT executable: it needs no .NET runtime, so it installs
        // without --force-depends (libc6, libssl3 and libbpf1 are in the container).
        var depends = HostCommand.Check("dpkg-deb", ["-f", _debOnHost, "Depends"]).Stdout;
        Assert.DoesNotContain("dotnet", depends, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore", depends, StringComparison.Ordinal);
        Assert.Contains("libbpf1", depends, StringComparison.Ordinal);
        var install = _c.Run($"dpkg -i {_deb}", TimeSpan.FromMinutes(2));
        Assert.True(install.ExitCode == 0, install + "\n" + _c.Journal());
        Assert.Equal("/usr/lib/conn-exporter/conn-exporter", _c.Check("readlink -f /usr/bin/conn-exporter").Trim());
        Assert.Equal("conn-exporter", _c.Check("ls /usr/lib/conn-exporter").Trim());
        // With the .NET the tests bind-mount into the container hidden, it still runs.
        var alone = _c.Run("unshare -m sh -c 'mount -t tmpfs none /usr/share/dotnet && ls -A /usr/share/dotnet | wc -l && conn-exporter connections --no-owners --summary'");
        Assert.True(alone.ExitCode == 0, alone.ToString());
        Assert.StartsWith("0\n", alone.Stdout, StringComparison.Ordinal);
        Assert.Contains("total", alone.Stdout, StringComparison.Ordinal);

        Assert.Equal("enabled", _c.Run("systemctl is-enabled conn-exporter.service").Stdout.Trim());
        _c.WaitFor(() => _c.Property("conn-exporter.service", "ActiveState") == "active",
            TimeSpan.FromSeconds(60), "postinst started the service");
        Assert.Contains("conn_sockets{", _c.Check("curl -sf http://127.0.0.1:9811/metrics"), StringComparison.Ordinal);
        Assert.Contains("conn-exporter", _c.Check("getent passwd conn-exporter"), StringComparison.Ordinal);
        Assert.Equal("ii", _c.Check("dpkg-query -W -f='${db:Status-Abbrev}' conn-exporter").Trim());

        _c.Check("dpkg --purge conn-exporter", TimeSpan.FromMinutes(2));
        Assert.NotEqual("active", _c.Property("conn-exporter.service", "ActiveState"));
        Assert.NotEqual(0, _c.Run("curl -sf --max-time 5 http://127.0.0.1:9811/metrics").ExitCode);
        Assert.Equal("", _c.Run("systemctl list-unit-files --no-legend 'conn-exporter*'").Stdout.Trim());
        // Nothing of the package is left: files, enablement links, deb-systemd-helper state, masks.
        var leftovers = _c.Run(
            "ls -d /usr/lib/conn-exporter /usr/bin/conn-exporter /etc/systemd/system/*/conn-exporter* " +
            "/etc/systemd/system/conn-exporter* /var/lib/systemd/deb-systemd-helper-enabled/*conn-exporter* " +
            "/var/lib/systemd/deb-systemd-helper-masked/*conn-exporter* 2>/dev/null").Stdout;
        Assert.Equal("", leftovers.Trim());
        Assert.NotEqual(0, _c.Run("dpkg-query -W conn-exporter").ExitCode);
    }

    [RootFact]
    public void Install_script_is_idempotent_enables_the_socket_and_uninstalls()
    {
        var install = $"sh {PackageContainer.SourceInside}/packaging/install.sh --from {PackageContainer.BuildInside} --socket";
        _c.Check(install, TimeSpan.FromMinutes(2));
        var first = _c.Check("cd / && find usr/lib/conn-exporter usr/bin/conn-exporter usr/lib/systemd/system/conn-exporter* -type f | sort | xargs md5sum");
        _c.Check(install, TimeSpan.FromMinutes(2));
        var second = _c.Check("cd / && find usr/lib/conn-exporter usr/bin/conn-exporter usr/lib/systemd/system/conn-exporter* -type f | sort | xargs md5sum");
        Assert.Equal(first, second);
        Assert.Contains("usr/lib/systemd/system/conn-exporter.service", first, StringComparison.Ordinal);

        Assert.Equal("active", _c.Property("conn-exporter.socket", "ActiveState"));
        Assert.Equal("enabled", _c.Run("systemctl is-enabled conn-exporter.socket").Stdout.Trim());
        Assert.Contains("conn_sockets{", _c.Check("curl -sf --max-time 60 http://127.0.0.1:9811/metrics", TimeSpan.FromSeconds(90)),
            StringComparison.Ordinal);
        Assert.Equal("active", _c.Property("conn-exporter.service", "ActiveState"));

        _c.Check($"sh {PackageContainer.SourceInside}/packaging/install.sh --uninstall", TimeSpan.FromMinutes(2));
        Assert.NotEqual("active", _c.Property("conn-exporter.service", "ActiveState"));
        Assert.NotEqual(0, _c.Run("curl -sf --max-time 5 http://127.0.0.1:9811/metrics").ExitCode);
        Assert.Equal("", _c.Run("systemctl list-unit-files --no-legend 'conn-exporter*'").Stdout.Trim());
        Assert.Equal("", _c.Run("ls -d /usr/lib/conn-exporter /usr/bin/conn-exporter /etc/systemd/system/*/conn-exporter* 2>/dev/null").Stdout.Trim());
    }
}
