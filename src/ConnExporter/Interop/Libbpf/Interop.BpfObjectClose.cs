using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary><c>bpf_object__close</c>: unloads the programs and closes the maps of an object (links must be destroyed first).</summary>
        [LibraryImport(Library, EntryPoint = "bpf_object__close")]
        internal static unsafe partial void BpfObjectClose(nint obj);
    }
}
