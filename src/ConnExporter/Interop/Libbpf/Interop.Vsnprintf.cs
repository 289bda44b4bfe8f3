using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary>
        /// libc's <c>vsnprintf</c>, to format the (format, va_list) pairs libbpf hands its print
        /// callback. A va_list parameter is passed as a pointer on every Linux ABI (x86-64: the
        /// array decays; arm64: the struct is passed by reference), so it travels as a nint.
        /// </summary>
        [LibraryImport(Libraries.Libc, EntryPoint = "vsnprintf")]
        internal static unsafe partial int Vsnprintf(byte* buffer, nuint size, byte* format, nint args);
    }
}
