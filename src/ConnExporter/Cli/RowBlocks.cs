using System.Runtime.ExceptionServices;

namespace ConnExporter.Cli;

/// <summary>
/// Formats the rows of a listing on two threads and writes them in their order. The rows are
/// cut into blocks: the calling thread formats the even blocks straight into the output, a
/// second thread the odd ones into two buffers of its own, which the calling thread copies out
/// in turn. The second thread is at most two blocks ahead, so the memory this takes is two
/// blocks' text (a few hundred KiB) whatever the row count, and the bytes are those one thread
/// would write.
/// </summary>
/// <remarks>For the one-shot command on a machine with a core to spare: at 10k sockets and more,
/// formatting was a fifth of the command's time (bench/RESULTS.md, "where the time goes"); on two
/// threads the table of 40k sockets came out 3-4 ms sooner, of ~52 ms, on a 2-core VM. Below
/// <see cref="MinimumRows"/> a second thread costs more than it saves, and everything runs on the
/// calling thread.</remarks>
internal static class RowBlocks
{
    /// <summary>Fewer rows than this are formatted on the calling thread alone.</summary>
    public const int MinimumRows = 4096;

    /// <summary>Formats rows [<paramref name="start"/>, <paramref name="end"/>) into <paramref name="into"/>.</summary>
    public delegate void Format(BufferedUtf8Output into, int start, int end);

    /// <summary>Runs <paramref name="body"/> over [0, count/2) here and [count/2, count) on a second
    /// thread (half 0 and 1), or over everything here as half 0 when there are few rows.</summary>
    /// <returns>How many halves ran: 1 or 2.</returns>
    public static int ForHalves(int count, Action<int, int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!Worthwhile(count))
        {
            body(0, 0, count);
            return 1;
        }
        int middle = count / 2;
        ExceptionDispatchInfo? failure = null;
        var second = new Thread(() =>
        {
            try
            {
                body(1, middle, count);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }, StackSize) { IsBackground = true, Name = "rows" };
        second.Start();
        try
        {
            body(0, 0, middle);
        }
        finally
        {
            second.Join();
        }
        failure?.Throw();
        return 2;
    }

    /// <summary>Writes rows [0, <paramref name="count"/>) into <paramref name="output"/> in
    /// blocks of <paramref name="blockRows"/>, as <paramref name="format"/> formats them.</summary>
    public static void Write(BufferedUtf8Output output, int count, int blockRows, Format format)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(format);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockRows, 1);
        int blocks = (int)(((long)count + blockRows - 1) / blockRows);
        if (!Worthwhile(count) || blocks < 2)
        {
            format(output, 0, count);
            return;
        }

        using var pipeline = new Pipeline(count, blockRows, blocks, format);
        var second = new Thread(pipeline.FormatOddBlocks, StackSize) { IsBackground = true, Name = "rows" };
        second.Start();
        try
        {
            for (int b = 0; b < blocks; b++)
            {
                if (b % 2 == 0) format(output, b * blockRows, Math.Min(count, (b + 1) * blockRows));
                else pipeline.CopyNextInto(output);
            }
        }
        finally
        {
            pipeline.Stop();
            second.Join();
        }
    }

    private const int StackSize = 256 * 1024;

    /// <summary>What callers size a block for: their block rows times a typical row's bytes come to
    /// about 64 KiB, the output's own buffer. Smaller blocks cost more handovers (a few µs each),
    /// larger ones more memory (two blocks are held).</summary>
    public const int BlockBytes = 64 * 1024;

    private const int BlockCapacity = 2 * BlockBytes;

    /// <summary>Set by a test on its own thread: everything of that thread's listings runs on it
    /// alone, the bytes to compare the two-thread path's with.</summary>
    [ThreadStatic]
    internal static bool OneThread;

    private static bool Worthwhile(int count) => !OneThread && count >= MinimumRows && Environment.ProcessorCount > 1;

    /// <summary>The second thread's side: two buffers handed back and forth, in block order.</summary>
    private sealed class Pipeline(int count, int blockRows, int blocks, Format format) : IDisposable
    {
        // Sized for a block of the size callers pick (about 64 KiB of text), so that the usual block
        // never grows them: a stream doubling up to a few hundred KiB leaves that much garbage behind.
        private readonly MemoryStream[] _text = [new(BlockCapacity), new(BlockCapacity)];
        private BufferedUtf8Output[]? _writers;
        private readonly SemaphoreSlim _filled = new(0);
        private readonly SemaphoreSlim _free = new(2);
        private volatile bool _stopped;
        private ExceptionDispatchInfo? _failure;
        private int _next;

        public void FormatOddBlocks()
        {
            try
            {
                int slot = 0;
                _writers = [new(_text[0]), new(_text[1])];
                for (int b = 1; b < blocks; b += 2)
                {
                    _free.Wait();
                    if (_stopped) return;
                    var text = _text[slot];
                    text.SetLength(0);
                    var into = _writers[slot];
                    format(into, b * blockRows, Math.Min(count, (b + 1) * blockRows));
                    into.Flush();
                    _filled.Release();
                    slot ^= 1;
                }
            }
            catch (Exception e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
                _filled.Release();
            }
        }

        /// <summary>Waits for the next odd block and copies it out (rethrowing the second thread's failure).</summary>
        public void CopyNextInto(BufferedUtf8Output output)
        {
            _filled.Wait();
            _failure?.Throw();
            var text = _text[_next];
            output.Write(text.GetBuffer().AsSpan(0, (int)text.Length));
            _next ^= 1;
            _free.Release();
        }

        /// <summary>Lets the second thread end however far it got (the output failed, or all is written).</summary>
        public void Stop()
        {
            _stopped = true;
            _free.Release(2);
        }

        /// <summary>Only once the second thread has ended.</summary>
        public void Dispose()
        {
            _filled.Dispose();
            _free.Dispose();
        }
    }
}
