using ConnExporter.Inventory;

namespace ConnExporter.Web;

/// <summary>
/// Ready = the listeners are up and a collection has succeeded once; alive = no collection has
/// been stuck longer than <see cref="StuckAfter"/> (a hung kernel read or /proc walk).
/// </summary>
public sealed class ExporterHealth
{
    private readonly SharedCollection _collection;
    private volatile bool _listening;

    public ExporterHealth(SharedCollection collection, TimeSpan stuckAfter)
    {
        _collection = collection;
        StuckAfter = stuckAfter;
    }

    public TimeSpan StuckAfter { get; }

    public void MarkListening() => _listening = true;

    public bool IsReady => _listening && _collection.LastSuccess is not null;

    public bool IsAlive => _collection.InFlightFor < StuckAfter;

    public CollectionResult? Last => _collection.Last;
}
