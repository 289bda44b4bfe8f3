using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary><c>bpf_map_lookup_elem</c>: copies the value (per-CPU maps: one 8-byte-aligned value per possible CPU); -ENOENT when absent.</summary>
        [LibraryImport(Library, EntryPoint = "bpf_map_lookup_elem", SetLastError = true)]
        internal static unsafe partial int BpfMapLookupElem(int fd, void* key, void* value);
    }
}
