using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary><c>bpf_object__open_mem</c>: parses an ELF object held in memory; invalid handle and errno on failure. libbpf copies the buffer.</summary>
        [LibraryImport(Library, EntryPoint = "bpf_object__open_mem", SetLastError = true)]
        internal static unsafe partial SafeBpfObjectHandle BpfObjectOpenMem(byte* buffer, nuint size, BpfObjectOpenOptions* options);
    }
}
