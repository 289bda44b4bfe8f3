namespace ConnExporter.Kernel.Ebpf;

/// <summary>
/// Thrown by the eBPF view on every scrape while the collector is off, so the scrape renderer
/// reports <c>conn_exporter_collector_success{collector="ebpf"} 0</c>. The reason was already
/// logged once at start.
/// </summary>
public sealed class EbpfUnavailableException : Exception
{
    public EbpfUnavailableException()
    {
    }

    public EbpfUnavailableException(string message)
        : base(message)
    {
    }

    public EbpfUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
