using System.Net;
using System.Net.Sockets;
using ConnExporter.Tests.EndToEnd;
using ConnExporter.Tests.Infrastructure;
using static ConnExporter.Tests.Integration.NetworkNamespaceTests;

namespace ConnExporter.Tests.Deployment;

/// <summary>
/// Containers on a bridge network, each in a namespace of its own, seen by the exporter on the
/// host: Docker and podman containers that listen, connect to each other and to the host. Each
/// container's rows equal <c>nsenter -t PID -n ss -tuanp</c> and carry its name and id, read from
/// the runtime's files (Docker's config.v2.json, containers/storage's containers.json).
/// </summary>
public sealed partial class ContainerImageTests
{
    /// <summary>Two containers of one runtime: "server" (the image's exporter, listening on 9811)
    /// and "client" (bash holding a connection to the server and one to a listener on the host).</summary>
    private sealed class BridgePair : IDisposable
    {
        private readonly Func<string[], HostCommand.Result> _runtime;
        private readonly TcpListener _host;
        private readonly List<Socket> _accepted = [];
        public readonly string Server;
        public readonly string Client;
        public readonly string ServerId;
        public readonly string ClientId;
        public readonly int ServerPid;
        public readonly int ClientPid;
        public readonly string ServerAddress;
        public readonly int HostPort;

        public BridgePair(string runtime, Func<string[], HostCommand.Result> run, string gateway)
        {
            _runtime = run;
            string suffix = $"{Environment.ProcessId}-{Random.Shared.Next(100000)}";
            Server = $"cx-{runtime}-server-{suffix}";
            Client = $"cx-{runtime}-client-{suffix}";
            _host = new TcpListener(IPAddress.Any, 0);
            _host.Start();
            HostPort = ((IPEndPoint)_host.LocalEndpoint).Port;

            Check(["run", "-d", "--name", Server, ContainerImage.Tag, "--no-collector.ebpf", "--no-collector.netns"]);
            ServerAddress = Inspect(Server, "{{.NetworkSettings.IPAddress}}");
            if (ServerAddress.Length == 0)
                ServerAddress = Inspect(Server, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}");
            WaitForPort(Server, 9811);
            Check(["run", "-d", "--name", Client, "--entrypoint", "bash", ContainerImage.Tag, "-c",
                $"exec 3<>/dev/tcp/{ServerAddress}/9811 && exec 4<>/dev/tcp/{gateway}/{HostPort} && echo connected && exec sleep 600"]);
            var accept = _host.AcceptSocketAsync();
            if (!accept.Wait(TimeSpan.FromSeconds(30)))
                throw new TimeoutException($"{Client} did not connect to the host's port {HostPort}: {run(["logs", Client])}");
            _accepted.Add(accept.Result);
            ServerPid = int.Parse(Inspect(Server, "{{.State.Pid}}"), System.Globalization.CultureInfo.InvariantCulture);
            ClientPid = int.Parse(Inspect(Client, "{{.State.Pid}}"), System.Globalization.CultureInfo.InvariantCulture);
            ServerId = Inspect(Server, "{{.Id}}");
            ClientId = Inspect(Client, "{{.Id}}");
            // The client's "connected" line: both connections are up.
            for (int i = 0; i < 100 && !run(["logs", Client]).Stdout.Contains("connected", StringComparison.Ordinal); i++) Thread.Sleep(100);
        }

        private void Check(string[] args)
        {
            var r = _runtime(args);
            if (r.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', args)}: {r}");
        }

        private string Inspect(string name, string format) => _runtime(["inspect", "-f", format, name]).Stdout.Trim();

        private void WaitForPort(string name, int port)
        {
            int pid = int.Parse(Inspect(name, "{{.State.Pid}}"), System.Globalization.CultureInfo.InvariantCulture);
            for (int i = 0; i < 150; i++)
            {
                if (TestNamespace.Run("nsenter", $"-t {pid} -n ss -Htln sport = :{port}").Trim().Length > 0) return;
                Thread.Sleep(100);
            }
            throw new TimeoutException($"{name} does not listen on {port}: {_runtime(["logs", name])}");
        }

        public void Dispose()
        {
            _runtime(["rm", "-f", Client]);
            _runtime(["rm", "-f", Server]);
            foreach (var s in _accepted) s.Dispose();
            _host.Stop();
        }
    }

    private static HostCommand.Result Podman(string[] args) =>
        HostCommand.Run("podman", ["--cgroup-manager", "cgroupfs", "--events-backend", "file", .. args], TimeSpan.FromMinutes(3));

    [RootFact]
    public void Docker_bridge_containers_are_read_in_their_namespaces_and_named()
    {
        Assert.NotEmpty(image.BuildLog);
        // Docker 20.10 leaves the bridge's IPAM gateway unset: the host's address on docker0 is it.
        var gateway = ContainerImage.DockerCheck("network", "inspect", "bridge", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}").Stdout.Trim();
        if (gateway.Length == 0)
            gateway = TestNamespace.Run("ip", "-4 -o addr show docker0").Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .SkipWhile(f => f != "inet").Skip(1).First().Split('/')[0];
        using var pair = new BridgePair("docker", args => ContainerImage.Docker(args), gateway);
        AssertBridgePair(pair, gateway);
    }

    [RootFact]
    public void Podman_bridge_containers_are_read_in_their_namespaces_and_named()
    {
        Assert.NotEmpty(image.BuildLog);
        var copy = Podman(["pull", "-q", "docker-daemon:" + ContainerImage.Tag]);
        Assert.True(copy.ExitCode == 0, "podman cannot copy the image from Docker: " + copy);
        // podman's default network; its gateway is the host's address on the podman bridge.
        var network = Podman(["network", "inspect", "podman", "-f", "{{range .Subnets}}{{.Gateway}}{{end}}"]);
        Assert.True(network.ExitCode == 0, network.ToString());
        var gateway = network.Stdout.Trim();
        using var pair = new BridgePair("podman", args => Podman(
            args.Length > 0 && args[0] == "run" ? ["run", "--ulimit", "nofile=16384:16384", "--ulimit", "nproc=4096:4096", "--no-healthcheck", .. args[1..]] : args), gateway);
        AssertBridgePair(pair, gateway);
    }

    private static void AssertBridgePair(BridgePair pair, string gateway)
    {
        ulong server = NetnsOf(pair.ServerPid), client = NetnsOf(pair.ClientPid), host = NetnsOf(Environment.ProcessId);
        Assert.Equal(3, new[] { server, client, host }.Distinct().Count());

        var rows = Connections();
        var inServer = rows.Where(r => r.Netns == server).ToList();
        var inClient = rows.Where(r => r.Netns == client).ToList();
        AssertEqualsSs(inServer, SsInside(pair.ServerPid), "server container");
        AssertEqualsSs(inClient, SsInside(pair.ClientPid), "client container");

        // Named from the runtime's own files, with the full id; every socket of the container.
        Assert.All(inServer, r => Assert.Equal((pair.ServerId, pair.Server), (r.Container, r.ContainerName)));
        Assert.All(inClient, r => Assert.Equal((pair.ClientId, pair.Client), (r.Container, r.ContainerName)));

        // Each side of the container-to-container connection, in its own namespace.
        var toServer = inClient.Single(r => r.Key.EndsWith($"|{pair.ServerAddress}|9811|ESTABLISHED", StringComparison.Ordinal));
        Assert.Equal("outgoing", toServer.Direction);
        Assert.Equal(new HashSet<int> { pair.ClientPid }, toServer.Pids);
        var accepted = inServer.Single(r => r.Key.StartsWith($"tcp|{pair.ServerAddress}|9811|", StringComparison.Ordinal) && r.Key.EndsWith("|ESTABLISHED", StringComparison.Ordinal));
        Assert.Equal("incoming", accepted.Direction);
        Assert.Equal("eth0", accepted.Interface);
        // The client's connection to the host, from both sides: outgoing in the client, and in the
        // host's namespace incoming on the bridge's address.
        Assert.Equal("outgoing", inClient.Single(r => r.Key.EndsWith($"|{gateway}|{pair.HostPort}|ESTABLISHED", StringComparison.Ordinal)).Direction);
        var hostSide = rows.Single(r => r.Netns == host && r.Key.StartsWith($"tcp|{gateway}|{pair.HostPort}|", StringComparison.Ordinal) && r.Key.EndsWith("|ESTABLISHED", StringComparison.Ordinal));
        Assert.Equal("incoming", hostSide.Direction);
        Assert.Null(hostSide.ContainerName);

        // --netns by container name shows that container's namespace alone.
        var byName = Connections("--netns", pair.Server);
        Assert.Equal(inServer.Select(r => r.Key).Order(), byName.Select(r => r.Key).Order());
    }
}
