using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary><c>bpf_object__find_program_by_name</c>: the program of that C function name, owned by the object; 0 when absent.</summary>
        [LibraryImport(Library, EntryPoint = "bpf_object__find_program_by_name")]
        internal static unsafe partial nint BpfObjectFindProgramByName(SafeBpfObjectHandle obj, byte* name);
    }
}
