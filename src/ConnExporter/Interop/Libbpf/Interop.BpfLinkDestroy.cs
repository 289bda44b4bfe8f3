using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary><c>bpf_link__destroy</c>: detaches and frees a link.</summary>
        [LibraryImport(Library, EntryPoint = "bpf_link__destroy")]
        internal static unsafe partial int BpfLinkDestroy(nint link);
    }
}
