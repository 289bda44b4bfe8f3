using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary><c>bpf_map_delete_elem</c>: removes a key; -ENOENT when absent.</summary>
        [LibraryImport(Library, EntryPoint = "bpf_map_delete_elem", SetLastError = true)]
        internal static unsafe partial int BpfMapDeleteElem(int fd, void* key);
    }
}
