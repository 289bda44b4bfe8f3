using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary><c>libbpf_set_print</c>: replaces libbpf's logger (by default it writes to stderr) and returns the previous one. The callback gets (level, printf format, va_list).</summary>
        [LibraryImport(Library, EntryPoint = "libbpf_set_print")]
        internal static unsafe partial nint LibbpfSetPrint(delegate* unmanaged<int, byte*, nint, int> print);
    }
}
