using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libbpf
    {
        /// <summary>
        /// The leading fields of <c>struct bpf_object_open_opts</c> (libbpf.h). libbpf accepts a
        /// shorter struct than its own as long as <see cref="Size"/> says how long it is.
        /// </summary>
        [StructLayout(LayoutKind.Sequential)]
        internal unsafe struct BpfObjectOpenOptions
        {
            public nuint Size;

            /// <summary>Names the object (and so its internal maps) instead of the buffer's address.</summary>
            public byte* ObjectName;
        }
    }
}
