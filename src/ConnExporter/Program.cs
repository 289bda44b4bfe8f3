using ConnExporter.Cli;
using ConnExporter.Inventory;

// Composition root: pick the command, parse its flags, run it. Errors a user can fix are one
// line on stderr and a non-zero exit; nothing else reaches the terminal as a stack trace.
try
{
    bool connections = args.Length > 0 && args[0] == "connections";
    var rest = connections ? args[1..] : args;
    var flags = connections ? ConnectionsCommand.CreateFlags() : ExporterFlags.Create();
    var synopsis = connections ? ConnectionsCommand.Synopsis : ExporterCommand.Synopsis;
    if (rest.Any(a => a is "--help" or "-h"))
    {
        Console.Out.Write(flags.Usage(synopsis));
        return 0;
    }
    if (rest.Any(a => a == "--version"))
    {
        Console.Out.WriteLine(BuildInfo.Text);
        return 0;
    }
    flags.Parse(rest);
    if (flags.Positional.Count > 0)
        throw new CommandLineException($"unexpected argument '{flags.Positional[0]}', try --help");
    if (!connections) return await ExporterCommand.RunAsync(flags);
    OutputPipe.Widen(1);
    return ConnectionsCommand.Run(flags, OutputPipe.Open(1));
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
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    // The kernel or the filesystem said no (netlink error, unreadable procfs): one line.
    Console.Error.WriteLine($"conn-exporter: error: {e.Message}");
    return 1;
}
