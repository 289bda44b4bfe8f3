/// <summary>
/// Native interop, grouped by library (as dotnet/runtime does): one partial class per library,
/// one function per file under a folder named after the library.
/// </summary>
internal static partial class Interop
{
    internal static class Libraries
    {
        internal const string Libc = "libc";
    }
}
