using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary>
        /// <c>bpf_map_lookup_batch</c> (Linux 5.6+): up to <paramref name="count"/> keys and values from
        /// where <paramref name="inBatch"/> left off (null: the start) in one system call; sets
        /// <paramref name="count"/> to how many it copied and <paramref name="outBatch"/> to where the
        /// next call goes on. -ENOENT when the walk is done (with the last entries copied), -ENOSPC
        /// when one hash bucket holds more than <paramref name="count"/>. <paramref name="opts"/> may be null.
        /// </summary>
        [LibraryImport(Library, EntryPoint = "bpf_map_lookup_batch", SetLastError = true)]
        internal static unsafe partial int BpfMapLookupBatch(int fd, void* inBatch, void* outBatch, void* keys, void* values, uint* count, void* opts);
    }
}
