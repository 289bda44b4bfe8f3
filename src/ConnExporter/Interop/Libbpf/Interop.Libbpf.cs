internal static partial class Interop
{
    /// <summary>
    /// libbpf (tools/lib/bpf/libbpf.h, bpf.h), loaded as the distribution's <c>libbpf.so.1</c>
    /// (libbpf ≥ 1.0: functions return NULL or a negative errno and also set errno).
    /// Missing library → <see cref="DllNotFoundException"/> on first call, which the eBPF
    /// collector turns into "collector off".
    /// </summary>
    internal static partial class Libbpf
    {
        private const string Library = "libbpf.so.1";
    }
}
