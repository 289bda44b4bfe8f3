using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary>
        /// <c>bpf_program__attach_trace</c>: attaches a <c>tp_btf/</c> program to its BTF raw
        /// tracepoint with the bpf syscall alone (BPF_LINK_CREATE, or BPF_RAW_TRACEPOINT_OPEN on
        /// older kernels): no tracefs, no perf_event_open. Invalid handle and errno on failure.
        /// </summary>
        [LibraryImport(Library, EntryPoint = "bpf_program__attach_trace", SetLastError = true)]
        internal static partial SafeBpfLinkHandle BpfProgramAttachTrace(nint program);
    }
}
