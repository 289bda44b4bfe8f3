using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary>
        /// <c>bpf_map__initial_value</c>: the contents a global-data map (.data, .rodata.*) will be
        /// created with, writable until the object is loaded; null for other maps.
        /// </summary>
        [LibraryImport(Library, EntryPoint = "bpf_map__initial_value")]
        internal static unsafe partial byte* BpfMapInitialValue(nint map, nuint* size);
    }
}
