using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary><c>close(2)</c>, for <see cref="SafeDescriptorHandle"/> and scoped descriptors.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);
}
