using System.Runtime.InteropServices;

internal static partial class Interop
{
    /// <summary>
    /// <c>bpf(2)</c> through <c>syscall(2)</c> (glibc has no wrapper). For the few commands the
    /// socket-descriptor iterator issues itself; the eBPF collector goes through libbpf.
    /// </summary>
    /// <returns>The command's result (often a new descriptor), or -1 with errno set.</returns>
    internal static unsafe long Bpf(BpfCommand command, void* attr, uint size) =>
        Syscall(BpfSyscallNumber, (long)command, (nint)attr, size);

    /// <summary>__NR_bpf: arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h.</summary>
    private static long BpfSyscallNumber => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 or Architecture.RiscV64 or Architecture.LoongArch64 => 280,
        var other => throw new PlatformNotSupportedException($"no bpf(2) number known for {other}"),
    };

    // syscall(2) is variadic; every argument here is an integer or a pointer, which the x86-64
    // and AArch64 calling conventions pass as they pass fixed arguments.
    [LibraryImport(Libraries.Libc, EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long command, nint attr, long size);

    /// <summary>The bpf(2) commands used (include/uapi/linux/bpf.h, enum bpf_cmd).</summary>
    internal enum BpfCommand
    {
        ProgLoad = 5,
        LinkCreate = 28,
        IterCreate = 33,
    }
}
