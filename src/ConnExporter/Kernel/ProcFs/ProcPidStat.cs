namespace ConnExporter.Kernel.ProcFs;

/// <summary>
/// The two fields of <c>/proc/&lt;pid&gt;/stat</c> (fs/proc/array.c, do_task_stat) the process
/// cache needs: the task's <c>comm</c> and its start time, which together with the pid
/// identify a process across pid reuse.
/// </summary>
internal readonly ref struct ProcPidStat
{
    // Fields are numbered from 1 as in proc_pid_stat(5): 1 pid, 2 (comm), 3 state, … 22 starttime.
    private const int StartTimeField = 22;
    private const int FirstFieldAfterComm = 3;

    public ProcPidStat(ReadOnlySpan<byte> comm, ulong startTime)
    {
        Comm = comm;
        StartTime = startTime;
    }

    /// <summary>
    /// The raw comm bytes (at most 15, TASK_COMM_LEN - 1), which may contain anything but NUL:
    /// spaces, parentheses, quotes, invalid UTF-8.
    /// </summary>
    public ReadOnlySpan<byte> Comm { get; }

    /// <summary>Field 22: when the process started, in clock ticks since boot.</summary>
    public ulong StartTime { get; }

    /// <summary>
    /// Parses the content of the file. comm is everything between the first '(' and the last
    /// ')' — the kernel does not escape it, so "a) b (c" is a legal comm and only the last ')'
    /// is a reliable delimiter. False when the shape is not what the kernel writes.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> content, out ProcPidStat stat)
    {
        stat = default;
        int open = content.IndexOf((byte)'(');
        int close = content.LastIndexOf((byte)')');
        if (open <= 0 || close < open) return false;
        if (!DecimalName.TryParse(content[..open].TrimEnd((byte)' '), out int _)) return false;

        var rest = content[(close + 1)..];
        int field = FirstFieldAfterComm - 1;
        while (true)
        {
            // Each later field is preceded by exactly one space.
            if (rest.IsEmpty || rest[0] != (byte)' ') return false;
            rest = rest[1..];
            int end = rest.IndexOfAny((byte)' ', (byte)'\n');
            var value = end < 0 ? rest : rest[..end];
            if (value.IsEmpty) return false;
            field++;
            if (field == StartTimeField)
            {
                if (!DecimalName.TryParse(value, out ulong startTime)) return false;
                stat = new ProcPidStat(content[(open + 1)..close], startTime);
                return true;
            }
            if (end < 0 || rest[end] == (byte)'\n') return false;
            rest = rest[end..];
        }
    }
}
