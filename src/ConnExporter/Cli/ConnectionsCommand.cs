using ConnExporter.Inventory;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Cli;

/// <summary><c>conn-exporter connections</c>: print the inventory once, like <c>ss -tuanp</c>.</summary>
public static class ConnectionsCommand
{
    public const string Synopsis = "connections [<flags>]";

    public static FlagSet CreateFlags()
    {
        var flags = new FlagSet("conn-exporter");
        flags.Add(new Flag("output", "Output format.", "table", placeholder: "FORMAT", allowed: ["table", "json"]));
        flags.Add(new Flag("protocol", "Only this protocol.", placeholder: "tcp|udp", allowed: ["tcp", "udp"]));
        flags.Add(new Flag("state", "Only sockets in this kernel state (repeatable), e.g. ESTABLISHED, LISTEN, UNCONN.", repeatable: true, placeholder: "STATE"));
        flags.Add(new Flag("port", "Only sockets with this local or remote port.", placeholder: "PORT"));
        flags.Add(new Flag("netns", "Which network namespaces: host, all, a namespace inode, or a container name or id.", "all", placeholder: "NETNS"));
        flags.Add(new Flag("owners", "Resolve the processes, systemd unit and container owning each socket.", "true", isBool: true));
        CommonFlags.Register(flags);
        return flags;
    }

    public static int Run(FlagSet flags, TextWriter stdout)
    {
        int? port = flags.IsSet("port") ? flags.GetInt("port", 0, 65535) : null;
        var filter = new ConnectionFilter(flags.GetString("protocol"), flags.GetAll("state"), port);
        bool json = flags.GetString("output") == "json";
        NamespaceSelection netns;
        try
        {
            netns = NamespaceSelection.Parse(flags.GetString("netns")!);
        }
        catch (FormatException e)
        {
            throw new CommandLineException($"invalid value '{flags.GetString("netns")}' for flag '--netns': {e.Message}");
        }
        var options = new InventoryOptions(
            Source: flags.GetString(CommonFlags.Source)!,
            ProcfsRoot: CommonFlags.ProcfsRoot(flags),
            Kinds: filter.Kinds,
            ResolveOwners: flags.GetBool("owners"),
            // Only the JSON output prints tcp_info; the table has no column for it.
            TcpInfo: json,
            Namespaces: netns,
            NamespaceRead: CommonFlags.NamespaceRead(flags),
            Rootfs: CommonFlags.Rootfs(flags));

        using var loggers = CommonFlags.CreateLoggerFactory(flags);
        using var collector = new InventoryCollector(options, loggers.CreateLogger("connections"));
        var snapshot = collector.Take();
        var selected = snapshot.Connections.Where(c => filter.Matches(c) && netns.Matches(c.Netns, c.Container)).ToList();

        if (json)
        {
            stdout.Flush();
            using var stream = Console.OpenStandardOutput();
            ConnectionsJsonWriter.Write(stream, selected);
        }
        else
        {
            ConnectionsTableWriter.Write(stdout, selected);
        }
        return 0;
    }
}
