using ConnExporter.Cli;
using ConnExporter.Inventory;

// Composition root: pick the command, parse its flags, run it. Errors a user can fix are one
// line on stderr and a non-zero exit; nothing else reaches the terminal as a stack trace.
try
{
    if (args.Length > 0 && args[0] == "connections")
    {
        var flags = ConnectionsCommand.CreateFlags();
        if (args.Skip(1).Any(a => a is "--help" or "-h"))
        {
            Console.Out.Write(flags.Usage(ConnectionsCommand.Synopsis));
            return 0;
        }
        flags.Parse(args[1..]);
        if (flags.Positional.Count > 0)
            throw new CommandLineException($"unexpected argument '{flags.Positional[0]}', try --help");
        return ConnectionsCommand.Run(flags, Console.Out);
    }
    if (args.Any(a => a == "--version"))
    {
        Console.Out.WriteLine(BuildInfo.Text);
        return 0;
    }
    Console.Error.WriteLine("conn-exporter: error: the exporter is not built yet; use 'conn-exporter connections'");
    return 2;
}
catch (CommandLineException e)
{
    Console.Error.WriteLine($"conn-exporter: error: {e.Message}");
    return 2;
}
catch (SocketSourceUnavailableException e)
{
    Console.Error.WriteLine($"conn-exporter: error: {e.Message}");
    return 1;
}
