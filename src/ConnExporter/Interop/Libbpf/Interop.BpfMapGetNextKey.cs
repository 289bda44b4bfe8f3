using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary><c>bpf_map_get_next_key</c>: the key after <paramref name="key"/> (the first one when it is null or absent); -ENOENT after the last.</summary>
        [LibraryImport(Library, EntryPoint = "bpf_map_get_next_key", SetLastError = true)]
        internal static unsafe partial int BpfMapGetNextKey(int fd, void* key, void* nextKey);
    }
}
