using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary>
        /// <c>bpf_program__set_autoload</c>: whether <c>bpf_object__load</c> loads the program
        /// (before load only); a program left out needs neither its tracepoint nor the verifier.
        /// 0 or a negative errno.
        /// </summary>
        [LibraryImport(Library, EntryPoint = "bpf_program__set_autoload")]
        internal static partial int BpfProgramSetAutoload(nint program, [MarshalAs(UnmanagedType.U1)] bool autoload);
    }
}
