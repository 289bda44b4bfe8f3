internal static partial class Interop
{
    /// <summary>
    /// libxcrypt (<c>libcrypt.so.1</c> on Debian, Fedora and Arch): the system's password hashing,
    /// used for bcrypt (<c>$2b$</c>, <c>$2y$</c>, <c>$2a$</c>) so no managed bcrypt is carried.
    /// </summary>
    internal static partial class Libcrypt
    {
        internal const string Library = "libcrypt.so.1";

        /// <summary>
        /// sizeof(struct crypt_data) in libxcrypt (crypt.h: CRYPT_OUTPUT_SIZE 384,
        /// CRYPT_MAX_PASSPHRASE_SIZE 512, CRYPT_DATA_RESERVED_SIZE 767,
        /// CRYPT_DATA_INTERNAL_SIZE 30720 and the initialized flag: 32768 bytes).
        /// </summary>
        internal const int CryptDataSize = 32768;
    }
}
