namespace ConnExporter.Tests.EndToEnd;

/// <summary>
/// An exclusive lock on a file in the cache, held across processes (two test runs sharing the
/// cache must not build the same artefact at once). FileShare.None is enforced between .NET
/// processes on Linux through an advisory lock on the file.
/// </summary>
public sealed class CacheLock : IDisposable
{
    private readonly FileStream _stream;

    private CacheLock(FileStream stream) => _stream = stream;

    public static CacheLock Acquire(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new CacheLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(500);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
