using Microsoft.Win32.SafeHandles;

namespace ConnExporter.Cli;

/// <summary>
/// Widens the pipe the command's output goes into (<c>conn-exporter connections | jq</c>), so
/// that megabytes of listing are handed over in fewer, larger steps: with the kernel's default of
/// 64 KiB nearly every write of the 64 KiB output buffer waits for the reader to make room,
/// a switch to the reader and back per write. With 1 MiB the command runs ahead of the reader;
/// measured on a 2-core VM: JSON of 40k sockets (20 MB), 93 to 87 ms.
/// </summary>
/// <remarks>Best effort and only ever larger: a file, a terminal or a socket refuses the fcntl
/// (nothing to do then); a pipe someone made larger is left alone; a user over the kernel's
/// per-user pipe budget (fs.pipe-user-pages-soft) is refused and keeps 64 KiB. The pipe's pages
/// are the kernel's, allocated as they fill, not this process's memory.</remarks>
internal static class OutputPipe
{
    /// <summary>fs.pipe-max-size's default: what an unprivileged process may ask for.</summary>
    public const int Size = 1024 * 1024;

    /// <summary>Widens <paramref name="fd"/> to <see cref="Size"/> if it is a smaller pipe.</summary>
    /// <returns>The pipe's size afterwards; -1 when <paramref name="fd"/> is not a pipe.</returns>
    public static int Widen(int fd)
    {
        int current = Interop.Fcntl(fd, Interop.FcntlCommands.GetPipeSize, 0);
        if (current < 0 || current >= Size) return current;
        int widened = Interop.Fcntl(fd, Interop.FcntlCommands.SetPipeSize, Size);
        return widened < 0 ? current : widened;
    }

    /// <summary>
    /// A stream over <paramref name="fd"/> (stdout) whose writes fail with EPIPE once the reader
    /// is gone (<c>| head</c>): the console's own stream swallows that error, so the command
    /// would format its whole listing for nobody. Falls back to the console's stream for a
    /// descriptor a FileStream refuses (closed, or a kind it does not take).
    /// </summary>
    public static Stream Open(int fd)
    {
        try
        {
            // Unbuffered: BufferedUtf8Output already hands over 64 KiB at a time.
            return new FileStream(new SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return Console.OpenStandardOutput();
        }
    }
}
