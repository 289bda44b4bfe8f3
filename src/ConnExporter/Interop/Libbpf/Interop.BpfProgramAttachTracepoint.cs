using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary><c>bpf_program__attach_tracepoint</c>: perf_event_open on the tracepoint's id (read from tracefs) and attach; invalid handle and errno on failure.</summary>
        [LibraryImport(Library, EntryPoint = "bpf_program__attach_tracepoint", SetLastError = true)]
        internal static unsafe partial SafeBpfLinkHandle BpfProgramAttachTracepoint(nint program, byte* category, byte* name);
    }
}
