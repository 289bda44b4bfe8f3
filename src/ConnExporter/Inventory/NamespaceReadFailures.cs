namespace ConnExporter.Inventory;

/// <summary>
/// Namespaces that could not be read, by reason, since the collector started
/// (<c>conn_exporter_netns_read_failures_total{reason}</c>).
/// </summary>
internal sealed class NamespaceReadFailures
{
    /// <summary>Every member exited or the pin went away during the read: a clean miss.</summary>
    public const string Vanished = "vanished";

    /// <summary>No process to read through and setns not allowed (a pinned namespace without CAP_SYS_ADMIN).</summary>
    public const string Unreadable = "unreadable";

    /// <summary>Anything else: the log says what.</summary>
    public const string Error = "error";

    public static readonly string[] Reasons = [Vanished, Unreadable, Error];

    private long _vanished, _unreadable, _error;

    public void Add(string reason)
    {
        switch (reason)
        {
            case Vanished: _vanished++; break;
            case Unreadable: _unreadable++; break;
            default: _error++; break;
        }
    }

    /// <summary>The totals in <see cref="Reasons"/>' order.</summary>
    public long[] Totals => [_vanished, _unreadable, _error];
}
