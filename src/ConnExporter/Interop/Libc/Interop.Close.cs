using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>close(2). Only <see cref="SafeDescriptorHandle"/> calls it.</summary>
    [LibraryImport(Libraries.Libc, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);
}
