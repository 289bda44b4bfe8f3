using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary><c>libbpf_num_possible_cpus</c>: how many values a per-CPU map holds per key; negative errno on failure.</summary>
        [LibraryImport(Library, EntryPoint = "libbpf_num_possible_cpus")]
        internal static unsafe partial int LibbpfNumPossibleCpus();
    }
}
