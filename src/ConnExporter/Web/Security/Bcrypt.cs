using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace ConnExporter.Web.Security;

/// <summary>
/// bcrypt password checks through libxcrypt's <c>crypt_rn</c>: the system library already
/// implements <c>$2a$</c>, <c>$2b$</c> and <c>$2y$</c> (what htpasswd -B and Go's bcrypt write),
/// so no managed bcrypt is carried. The comparison of the result is constant-time.
/// </summary>
internal static class Bcrypt
{
    /// <summary>"$2b$10$" + 22 salt + 31 hash characters.</summary>
    public const int HashLength = 60;

    /// <summary>bcrypt reads at most 72 bytes of the password; longer ones are cut the same way.</summary>
    public const int MaxPasswordBytes = 72;

    /// <summary>Shape of a bcrypt hash as Go's <c>bcrypt.Cost</c> accepts it: prefix, a two-digit
    /// cost 04–31, then 53 characters of bcrypt's base64 alphabet.</summary>
    public static bool IsHash(string hash)
    {
        if (hash.Length != HashLength) return false;
        if (!(hash.StartsWith("$2a$", StringComparison.Ordinal) || hash.StartsWith("$2b$", StringComparison.Ordinal)
              || hash.StartsWith("$2y$", StringComparison.Ordinal)))
            return false;
        if (!char.IsAsciiDigit(hash[4]) || !char.IsAsciiDigit(hash[5]) || hash[6] != '$') return false;
        int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
        if (cost is < 4 or > 31) return false;
        foreach (char c in hash.AsSpan(7))
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '/')) return false;
        return true;
    }

    /// <summary>
    /// True when <paramref name="password"/> hashes to <paramref name="hash"/>. False for a
    /// malformed hash, a password with a NUL byte (crypt would stop there), or when libcrypt
    /// refuses; never throws for its inputs (a missing libcrypt.so.1 throws DllNotFoundException).
    /// </summary>
    public static unsafe bool Verify(ReadOnlySpan<byte> password, string hash)
    {
        if (!IsHash(hash) || password.Contains((byte)0)) return false;
        if (password.Length > MaxPasswordBytes) password = password[..MaxPasswordBytes];

        Span<byte> phrase = stackalloc byte[MaxPasswordBytes + 1];
        Span<byte> setting = stackalloc byte[HashLength + 1];
        password.CopyTo(phrase);
        phrase[password.Length] = 0;
        Encoding.ASCII.GetBytes(hash, setting);
        setting[HashLength] = 0;

        void* data = NativeMemory.AllocZeroed(Interop.Libcrypt.CryptDataSize);
        try
        {
            fixed (byte* phrasePointer = phrase)
            fixed (byte* settingPointer = setting)
            {
                byte* result = Interop.Libcrypt.CryptRn(phrasePointer, settingPointer, data, Interop.Libcrypt.CryptDataSize);
                if (result is null) return false;
                var computed = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(result);
                return CryptographicOperations.FixedTimeEquals(computed, setting[..HashLength]);
            }
        }
        finally
        {
            // The scratch area held key schedules derived from the password.
            NativeMemory.Clear(data, Interop.Libcrypt.CryptDataSize);
            NativeMemory.Free(data);
            CryptographicOperations.ZeroMemory(phrase);
        }
    }
}
