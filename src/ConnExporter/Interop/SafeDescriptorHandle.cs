using System.Runtime.InteropServices;

/// <summary>
/// Owns a Linux file descriptor returned by a libc call and closes it exactly once, so a
/// descriptor never leaks past an exception and is never used after close.
/// </summary>
internal sealed class SafeDescriptorHandle : SafeHandle
{
    // Public and parameterless: LibraryImport's marshaller creates it for a returned descriptor.
    public SafeDescriptorHandle()
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of a descriptor a raw system call returned.</summary>
    internal SafeDescriptorHandle(int fd)
        : this() => SetHandle(fd);

    public override bool IsInvalid => handle < 0;

    protected override bool ReleaseHandle() => Interop.Close((int)handle) == 0;
}
