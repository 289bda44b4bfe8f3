using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary><c>bpf_map__fd</c>: the descriptor of a loaded map (owned by the object); negative before load.</summary>
        [LibraryImport(Library, EntryPoint = "bpf_map__fd")]
        internal static unsafe partial int BpfMapFd(nint map);
    }
}
