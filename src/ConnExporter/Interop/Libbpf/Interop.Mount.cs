using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary>
        /// libc's <c>mount(2)</c>, only to mount tracefs where libbpf looks for tracepoint ids
        /// (<c>mount -t tracefs tracefs /sys/kernel/tracing</c>); needs CAP_SYS_ADMIN.
        /// </summary>
        /// <returns>0, or -1 with errno set.</returns>
        [LibraryImport(Libraries.Libc, EntryPoint = "mount", SetLastError = true)]
        internal static unsafe partial int Mount(byte* source, byte* target, byte* fileSystemType, nuint flags, void* data);
    }
}
