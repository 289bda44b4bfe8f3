using ConnExporter.Inventory;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Cli;

/// <summary><c>conn-exporter connections</c>: print the inventory once, like <c>ss -tuanp</c>,
/// as a table, JSON, a summary or grouped.</summary>
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
        flags.Add(new Flag("listening", "Only listening TCP and bound unconnected UDP sockets (as ss -l).", "false", isBool: true));
        flags.Add(new Flag("process", "Only sockets one of whose owners has this name (comm) or pid.", placeholder: "NAME"));
        flags.Add(new Flag("unit", "Only sockets of processes in this systemd unit (.service may be left out).", placeholder: "UNIT"));
        flags.Add(new Flag("interface", "Only sockets of this interface; wildcard binds (any) belong to every interface.", placeholder: "IF"));
        flags.Add(new Flag("container", "Only sockets of this container (name, id or id prefix).", placeholder: "NAME"));
        flags.Add(new Flag("netns", "Network namespaces to show: host, all, a namespace inode, or a container name or id.", "all", placeholder: "NETNS"));
        flags.Add(new Flag("summary", "Print counts per protocol and state, and per process, instead of the sockets.", "false", isBool: true));
        flags.Add(new Flag("group-by", "Print the sockets counted per process, per unit, or established connections per peer (as conn_peers).",
            placeholder: "process|unit|peer", allowed: ConnectionGroups.Names));
        flags.Add(new Flag("conntrack", "Read the conntrack table for the real destination of destination-NATed connections (actual_remote_address and actual_remote_port of --output json); host namespace only; needs CAP_NET_ADMIN.", "false", isBool: true));
        flags.Add(new Flag("owners", "Resolve the processes, systemd unit and container owning each socket.", "true", isBool: true));
        flags.Add(new Flag("owners-from", "Where owners' socket descriptors are found: auto (the kernel's task/file BPF iterator when it loads, with CAP_BPF and CAP_PERFMON; else the /proc walk) or proc (walk /proc/<pid>/fd, as ss -p).",
            "auto", placeholder: "auto|proc", allowed: ["auto", "proc"]));
        CommonFlags.Register(flags);
        return flags;
    }

    /// <summary>The filter the flags describe; a bad value is a <see cref="CommandLineException"/> naming its flag.</summary>
    public static ConnectionFilter Filter(FlagSet flags)
    {
        ArgumentNullException.ThrowIfNull(flags);
        try
        {
            return ConnectionFilter.Parse(new ConnectionFilterValues(
                Protocol: flags.GetString("protocol"),
                States: flags.GetAll("state"),
                Port: flags.GetString("port"),
                Process: flags.GetString("process"),
                Unit: flags.GetString("unit"),
                Interface: flags.GetString("interface"),
                Listening: flags.GetBool("listening"),
                Container: flags.GetString("container"),
                Netns: flags.GetString("netns")));
        }
        catch (FilterValueException e)
        {
            throw new CommandLineException($"invalid value '{e.Value}' for flag '--{e.Parameter}': {e.Expected}");
        }
    }

    public static int Run(FlagSet flags, Stream stdout)
    {
        ArgumentNullException.ThrowIfNull(flags);
        var filter = Filter(flags);
        bool json = flags.GetString("output") == "json";
        bool owners = flags.GetBool("owners");
        bool summary = flags.GetBool("summary");
        GroupBy? groupBy = flags.GetString("group-by") is { } g ? ConnectionGroups.Parse(g) : null;
        if (summary && groupBy is not null)
            throw new CommandLineException("flags '--summary' and '--group-by' cannot be combined; choose one");
        if (!owners && filter.OwnersParameter is { } needs)
            throw new CommandLineException($"flag '--{needs}' needs owners: drop --no-owners");
        if (!owners && groupBy is GroupBy.Process or GroupBy.Unit)
            throw new CommandLineException($"flag '--group-by={flags.GetString("group-by")}' needs owners: drop --no-owners");

        string procfsRoot = CommonFlags.ProcfsRoot(flags);
        var options = new InventoryOptions(
            Source: flags.GetString(CommonFlags.Source)!,
            ProcfsRoot: procfsRoot,
            Kinds: filter.Kinds,
            ResolveOwners: owners,
            // Only the JSON listing prints tcp_info: it triples what the kernel copies per socket.
            TcpInfo: json && !summary && groupBy is null,
            Namespaces: filter.Namespaces,
            NamespaceRead: CommonFlags.NamespaceRead(flags),
            Rootfs: CommonFlags.Rootfs(flags),
            Conntrack: flags.GetBool("conntrack"),
            SingleCollection: true,
            // The filter keeps only these anyway; asked of the kernel, it skips its established hash.
            ListeningOnly: flags.GetBool("listening"),
            // The iterator reads the live kernel: with another procfs (--path.procfs) the walk
            // reads what that procfs shows.
            KernelOwnerIterator: flags.GetString("owners-from") == "auto" && procfsRoot == "/proc");

        using var collector = new InventoryCollector(options, CommonFlags.CreateLogger(flags, "connections"));
        var connections = collector.Take().Connections;

        try
        {
            Write(new BufferedUtf8Output(stdout), connections, filter, json, owners, summary, groupBy);
        }
        catch (IOException e) when (e.HResult == BrokenPipe)
        {
            // The reader went away (| head): like ss, stop without a word.
        }
        return 0;
    }

    // EPIPE: what a write to a pipe without a reader fails with (the runtime ignores SIGPIPE).
    private const int BrokenPipe = 32;

    private static void Write(BufferedUtf8Output output, SnapshotConnections connections, ConnectionFilter filter,
        bool json, bool owners, bool summary, GroupBy? groupBy)
    {
        if (summary)
        {
            var s = ConnectionsSummary.Of(connections, filter, owners);
            if (json) s.WriteJson(output);
            else s.WriteTable(output);
        }
        else if (groupBy is { } by)
        {
            var groups = ConnectionGroups.Of(by, connections, filter);
            if (json) groups.WriteJson(output);
            else groups.WriteTable(output);
        }
        else if (json)
        {
            ConnectionsJsonWriter.Write(output, connections, filter);
            output.WriteByte((byte)'\n');
        }
        else
        {
            ConnectionsTableWriter.Write(output, connections, filter);
        }
        output.Flush();
    }
}
