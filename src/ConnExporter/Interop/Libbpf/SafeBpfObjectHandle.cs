using System.Runtime.InteropServices;

/// <summary>Owns a libbpf <c>struct bpf_object *</c>; closing it unloads its programs and maps.</summary>
internal sealed class SafeBpfObjectHandle : SafeHandle
{
    // Public and parameterless: LibraryImport's marshaller creates it for a returned pointer.
    public SafeBpfObjectHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Interop.Libbpf.BpfObjectClose(handle);
        return true;
    }
}
