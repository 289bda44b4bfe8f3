using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary><c>bpf_object__load</c>: creates the maps, relocates (CO-RE against the kernel's BTF) and verifies the programs; 0 or a negative errno.</summary>
        [LibraryImport(Library, EntryPoint = "bpf_object__load")]
        internal static unsafe partial int BpfObjectLoad(SafeBpfObjectHandle obj);
    }
}
