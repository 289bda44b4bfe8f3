using System.Diagnostics;

namespace ConnExporter.Web;

/// <summary>When the metrics endpoint was last asked, for the service status line.</summary>
public sealed class ScrapeClock
{
    private long _last; // Stopwatch timestamp; 0 = never

    public void Mark() => Interlocked.Exchange(ref _last, Stopwatch.GetTimestamp());

    /// <summary>Time since the last scrape began; null when there has been none.</summary>
    public TimeSpan? SinceLast
    {
        get
        {
            long last = Interlocked.Read(ref _last);
            return last == 0 ? null : Stopwatch.GetElapsedTime(last);
        }
    }
}
