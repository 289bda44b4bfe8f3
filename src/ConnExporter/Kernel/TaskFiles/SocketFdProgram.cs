namespace ConnExporter.Kernel.TaskFiles;

/// <summary>
/// The BPF program of <see cref="SocketFdIterator"/>, assembled with the running kernel's field
/// offsets. In C it would read:
/// <code>
/// SEC("iter/task_file")
/// int socket_owners(struct bpf_iter__task_file *ctx)
/// {
///     struct file *file = ctx->file;
///     struct task_struct *task = ctx->task;
///     if (!file || !task) return 0;
///     struct inode *inode = file->f_inode;
///     if (!inode || (inode->i_mode &amp; S_IFMT) != S_IFSOCK) return 0;
///     struct { __u32 tgid, fd; __u64 ino; } rec = { task->tgid, ctx->fd, inode->i_ino };
///     bpf_seq_write(ctx->meta->seq, &amp;rec, sizeof rec);
///     return 0;
/// }
/// </code>
/// The loads through <c>file</c>, <c>inode</c> and <c>task</c> are BTF-typed: the verifier checks
/// each against the kernel's own types (an offset that is not the named member is refused at
/// load, not read wrongly) and a fault reads as zero.
/// </summary>
internal static class SocketFdProgram
{
    /// <summary>Byte offsets of the members read, from the kernel's BTF.</summary>
    public readonly record struct Offsets(int Meta, int Task, int Fd, int File, int Seq, int Tgid,
        int FileInode, int InodeMode, int InodeNumber);

    // Opcodes (include/uapi/linux/bpf.h, bpf_common.h): class | size/op | source.
    private const byte LoadDoubleWord = 0x79;  // BPF_LDX | BPF_MEM | BPF_DW
    private const byte LoadWord = 0x61;        // BPF_LDX | BPF_MEM | BPF_W
    private const byte LoadHalfWord = 0x69;    // BPF_LDX | BPF_MEM | BPF_H
    private const byte StoreDoubleWord = 0x7b; // BPF_STX | BPF_MEM | BPF_DW
    private const byte StoreWord = 0x63;       // BPF_STX | BPF_MEM | BPF_W
    private const byte MoveRegister = 0xbf;    // BPF_ALU64 | BPF_MOV | BPF_X
    private const byte MoveImmediate = 0xb7;   // BPF_ALU64 | BPF_MOV | BPF_K
    private const byte AddImmediate = 0x07;    // BPF_ALU64 | BPF_ADD | BPF_K
    private const byte AndImmediate = 0x57;    // BPF_ALU64 | BPF_AND | BPF_K
    private const byte JumpIfEqual = 0x15;     // BPF_JMP | BPF_JEQ | BPF_K
    private const byte JumpIfNotEqual = 0x55;  // BPF_JMP | BPF_JNE | BPF_K
    private const byte Call = 0x85;            // BPF_JMP | BPF_CALL
    private const byte Exit = 0x95;            // BPF_JMP | BPF_EXIT

    private const int HelperSeqWrite = 127;    // BPF_FUNC_seq_write
    private const int FileTypeMask = 0xF000;   // S_IFMT
    private const int FileTypeSocket = 0xC000; // S_IFSOCK

    // Registers: r1 the context on entry and the helper's first argument, r6 the context kept,
    // r10 the frame pointer; the record is built at r10 - 16.
    private const byte R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R10 = 10;

    /// <summary>The instructions, each a little-endian <c>struct bpf_insn</c>.</summary>
    public static ulong[] Assemble(Offsets o)
    {
        const int Out = 22; // index of "r0 = 0", the one way out
        var p = new ulong[24];
        p[0] = Op(MoveRegister, R6, R1);
        p[1] = Op(LoadDoubleWord, R2, R6, o.File);            // r2 = ctx->file
        p[2] = Op(JumpIfEqual, R2, 0, Jump(2, Out), 0);       // if (!file) out
        p[3] = Op(LoadDoubleWord, R3, R6, o.Task);            // r3 = ctx->task
        p[4] = Op(JumpIfEqual, R3, 0, Jump(4, Out), 0);       // if (!task) out
        p[5] = Op(LoadDoubleWord, R4, R2, o.FileInode);       // r4 = file->f_inode
        p[6] = Op(JumpIfEqual, R4, 0, Jump(6, Out), 0);       // if (!inode) out
        p[7] = Op(LoadHalfWord, R5, R4, o.InodeMode);         // r5 = inode->i_mode
        p[8] = Op(AndImmediate, R5, 0, 0, FileTypeMask);
        p[9] = Op(JumpIfNotEqual, R5, 0, Jump(9, Out), FileTypeSocket); // not a socket: out
        p[10] = Op(LoadDoubleWord, R5, R4, o.InodeNumber);    // rec.ino = inode->i_ino
        p[11] = Op(StoreDoubleWord, R10, R5, -8);
        p[12] = Op(LoadWord, R5, R3, o.Tgid);                 // rec.tgid = task->tgid
        p[13] = Op(StoreWord, R10, R5, -16);
        p[14] = Op(LoadWord, R5, R6, o.Fd);                   // rec.fd = ctx->fd
        p[15] = Op(StoreWord, R10, R5, -12);
        p[16] = Op(LoadDoubleWord, R1, R6, o.Meta);           // r1 = ctx->meta->seq
        p[17] = Op(LoadDoubleWord, R1, R1, o.Seq);
        p[18] = Op(MoveRegister, R2, R10);                    // r2 = &rec
        p[19] = Op(AddImmediate, R2, 0, 0, -16);
        p[20] = Op(MoveImmediate, R3, 0, 0, 16);              // r3 = sizeof rec
        p[21] = Op(Call, 0, 0, 0, HelperSeqWrite);
        p[Out] = Op(MoveImmediate, R0, 0, 0, 0);
        p[23] = Op(Exit, 0, 0);
        return p;
    }

    /// <summary>A jump's offset counts instructions after the jump itself.</summary>
    private static short Jump(int from, int to) => checked((short)(to - from - 1));

    private static ulong Op(byte code, byte dst, byte src, int offset = 0, int immediate = 0) =>
        code
        | (ulong)(byte)(dst | (src << 4)) << 8
        | (ulong)(ushort)checked((short)offset) << 16
        | (ulong)(uint)immediate << 32;
}
