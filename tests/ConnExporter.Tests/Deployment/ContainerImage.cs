using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ConnExporter.Tests.EndToEnd;

namespace ConnExporter.Tests.Deployment;

/// <summary>
/// deploy/docker/Dockerfile built by a real Docker Engine (Debian's docker.io, started by
/// scripts/prereqs.d/70-docker.sh). No container registry is reachable from the project's
/// machines, so the two base images the Dockerfile names (mcr.microsoft.com/dotnet/sdk and
/// runtime-deps) are stood in for by local ones passed as SDK_IMAGE and RUNTIME_IMAGE: a Debian
/// minbase made by mmdebstrap (what runtime-deps is: libc, libssl, libstdc++, zlib,
/// ca-certificates), plus, for the SDK, the host's own .NET SDK and trust store. Everything
/// else (apt-get of clang and libbpf1, the NuGet restore of the AOT compiler, the Native AOT
/// publish) runs as the Dockerfile says, with the host's network for apt and NuGet.
/// </summary>
public sealed class ContainerImage : IDisposable
{
    public const string Tag = "conn-exporter:tests";

    private static readonly string[] BasePackages = ["ca-certificates", "libstdc++6", "zlib1g", "libssl3"];

    public string BuildLog { get; } = "";

    public ContainerImage()
    {
        if (!Environment.IsPrivilegedProcess) return; // the [RootFact] tests using it skip or fail
        var baseImage = EnsureBaseImage();
        var sdkImage = EnsureSdkImage(baseImage);
        var r = HostCommand.Run("docker",
            ["build", "--network", "host", "--build-arg", "SDK_IMAGE=" + sdkImage, "--build-arg", "RUNTIME_IMAGE=" + baseImage,
             "-f", DeploymentFiles.Path("docker", "Dockerfile"), "-t", Tag, E2eEnvironment.RepoRoot],
            TimeSpan.FromMinutes(20));
        BuildLog = r.ToString();
        // The legacy builder leaves the ~2 GB build stage and the previous tests image behind,
        // untagged: a developer's disk would lose that much per run.
        Docker("image", "prune", "--force");
        if (r.ExitCode != 0) throw new InvalidOperationException("docker build failed: " + r);
    }

    public static HostCommand.Result Docker(params string[] args) => HostCommand.Run("docker", args, TimeSpan.FromMinutes(2));

    public static HostCommand.Result DockerCheck(params string[] args)
    {
        var r = Docker(args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"docker {string.Join(' ', args)}: {r}");
        return r;
    }

    private static bool ImageExists(string image) => Docker("image", "inspect", image).ExitCode == 0;

    /// <summary>Debian minbase, the suite of the host, imported once per package list.</summary>
    private static string EnsureBaseImage()
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            ContainerRootfs.Suite + "\n" + string.Join(",", BasePackages))))[..12];
        var image = $"conn-exporter-test/base:{ContainerRootfs.Suite}-{hash}";
        if (ImageExists(image)) return image;
        Directory.CreateDirectory(E2eEnvironment.CacheDirectory);
        using var cacheLock = CacheLock.Acquire(Path.Combine(E2eEnvironment.CacheDirectory, "docker-base.lock"), TimeSpan.FromMinutes(10));
        if (ImageExists(image)) return image;
        var tarball = Path.Combine(E2eEnvironment.CacheDirectory, $"docker-base-{hash}.partial.tar");
        File.Delete(tarball);
        var args = new List<string> { "--variant=minbase", "--format=tar", "--include=" + string.Join(",", BasePackages), "--quiet", ContainerRootfs.Suite, tarball };
        if (Directory.Exists("/etc/apt/sources.list.d"))
            args.AddRange(Directory.GetFiles("/etc/apt/sources.list.d", "*.sources").Order(StringComparer.Ordinal));
        if (File.Exists("/etc/apt/sources.list") && File.ReadAllLines("/etc/apt/sources.list").Any(l => l.TrimStart().StartsWith("deb ", StringComparison.Ordinal)))
            args.Add("/etc/apt/sources.list");
        HostCommand.Check("mmdebstrap", args, TimeSpan.FromMinutes(8));
        try
        {
            HostCommand.Check("docker", ["import", tarball, image], TimeSpan.FromMinutes(3));
        }
        finally
        {
            File.Delete(tarball);
        }
        return image;
    }

    /// <summary>The base plus the host's .NET SDK and CA bundle (the NuGet feed's TLS is verified against it).</summary>
    private static string EnsureSdkImage(string baseImage)
    {
        var sdkVersion = HostCommand.Check("dotnet", ["--version"]).Stdout.Trim();
        var image = $"conn-exporter-test/sdk:{sdkVersion}-{baseImage[(baseImage.LastIndexOf('-') + 1)..]}";
        if (ImageExists(image)) return image;
        var context = Directory.CreateTempSubdirectory("conn-exporter-sdk-image-").FullName;
        try
        {
            HostCommand.Check("cp", ["-a", E2eEnvironment.DotnetRoot, Path.Combine(context, "dotnet")], TimeSpan.FromMinutes(3));
            File.Copy("/etc/ssl/certs/ca-certificates.crt", Path.Combine(context, "ca-certificates.crt"));
            File.WriteAllText(Path.Combine(context, "Dockerfile"), $"""
                FROM {baseImage}
                COPY dotnet /usr/share/dotnet
                COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
                RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
                ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NUGET_CERT_REVOCATION_MODE=offline
                """);
            HostCommand.Check("docker", ["build", "-q", "-t", image, context], TimeSpan.FromMinutes(5));
        }
        finally
        {
            Directory.Delete(context, recursive: true);
        }
        return image;
    }

    /// <summary>A loopback TCP port nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        // The image stays (the next run reuses its layers); its containers are removed by the tests.
    }
}
