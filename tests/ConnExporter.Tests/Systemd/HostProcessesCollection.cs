namespace ConnExporter.Tests.Systemd;

/// <summary>
/// Tests that start exporters in the host's namespaces run alone, after the parallel ones:
/// their processes and sockets would otherwise show up in host-wide scans other tests measure
/// (e.g. ProcessResolverTests counting the fd links a steady scan reads).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostProcessesCollection
{
    public const string Name = "exporters in the host namespace";
}
