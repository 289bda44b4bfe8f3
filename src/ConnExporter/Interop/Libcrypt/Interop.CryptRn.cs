using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Libcrypt
    {
        /// <summary>
        /// <c>crypt_rn(3)</c>: hashes <paramref name="phrase"/> with the method, cost and salt of
        /// <paramref name="setting"/> into <paramref name="data"/> (a zeroed struct crypt_data of
        /// <paramref name="size"/> bytes) and returns a pointer into it, or null on failure
        /// (unlike <c>crypt_r</c>, which returns a "*0" string). Both strings NUL-terminated.
        /// </summary>
        [LibraryImport(Library, EntryPoint = "crypt_rn", SetLastError = true)]
        internal static unsafe partial byte* CryptRn(byte* phrase, byte* setting, void* data, int size);
    }
}
