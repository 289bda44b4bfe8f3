using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ConnExporter.Kernel.Ebpf;

/// <summary>
/// Routes libbpf's own messages (by default printed to stderr) to the logger at Debug, and keeps
/// the last warning so that a failed load can say why in its single log line.
/// </summary>
internal static class LibbpfLog
{
    // enum libbpf_print_level (libbpf.h)
    private const int Warn = 0;
    private const int Info = 1;

    private static ILogger? s_logger;
    private static string? s_lastWarning;
    private static bool s_installed;

    public static string? LastWarning => Volatile.Read(ref s_lastWarning);

    /// <summary>Installs the callback (once per process). Throws <see cref="DllNotFoundException"/> without libbpf.so.1.</summary>
    public static unsafe void Install(ILogger logger)
    {
        s_logger = logger;
        s_lastWarning = null;
        if (s_installed) return;
        Interop.Libbpf.LibbpfSetPrint(&Print);
        s_installed = true;
    }

    [UnmanagedCallersOnly]
    private static unsafe int Print(int level, byte* format, nint args)
    {
        try
        {
            const int Size = 1024;
            byte* buffer = stackalloc byte[Size];
            int n = Interop.Libbpf.Vsnprintf(buffer, Size, format, args);
            if (n < 0) return 0;
            var text = Encoding.UTF8.GetString(buffer, Math.Min(n, Size - 1)).TrimEnd('\n');
            if (level == Warn) Volatile.Write(ref s_lastWarning, text);
            var logger = s_logger;
            if (logger is not null && level <= Info) logger.LogDebug("libbpf: {Message}", text);
        }
        catch (Exception)
        {
            // An exception must not unwind into native code.
        }
        return 0;
    }
}
