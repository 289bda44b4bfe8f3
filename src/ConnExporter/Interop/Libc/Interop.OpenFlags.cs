using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// The <c>open(2)</c> flags this program uses. O_DIRECTORY differs by architecture:
    /// asm-generic/fcntl.h has 00200000, arch/arm{,64}/include/uapi/asm/fcntl.h has 040000.
    /// </summary>
    [Flags]
    internal enum OpenFlags
    {
        O_RDONLY = 0,
        O_CLOEXEC = 0x80000, // 02000000 on x86, arm and the generic headers alike
    }

    /// <summary><c>AT_FDCWD</c> (linux/fcntl.h): resolve a relative path against the working directory.</summary>
    internal const int AtFdCwd = -100;

    internal static OpenFlags O_DIRECTORY { get; } =
        RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64
            ? (OpenFlags)0x4000
            : (OpenFlags)0x10000;
}
