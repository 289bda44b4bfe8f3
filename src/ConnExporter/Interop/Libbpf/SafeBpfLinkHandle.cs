using System.Runtime.InteropServices;

/// <summary>Owns a libbpf <c>struct bpf_link *</c>; destroying it detaches the program.</summary>
internal sealed class SafeBpfLinkHandle : SafeHandle
{
    // Public and parameterless: LibraryImport's marshaller creates it for a returned pointer.
    public SafeBpfLinkHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle() => Interop.Libbpf.BpfLinkDestroy(handle) == 0;
}
