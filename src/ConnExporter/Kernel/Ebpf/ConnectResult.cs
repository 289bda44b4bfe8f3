namespace ConnExporter.Kernel.Ebpf;

/// <summary>How a connect attempt ended; the values are RESULT_* in bpf/conn_events.bpf.c.</summary>
public enum ConnectResult : ushort
{
    /// <summary>SYN_SENT → ESTABLISHED.</summary>
    Established = 0,

    /// <summary>SYN_SENT → CLOSE with sk_err ECONNREFUSED: the peer answered with RST.</summary>
    Refused = 1,

    /// <summary>SYN_SENT → CLOSE with sk_err ETIMEDOUT: the SYN retries ran out.</summary>
    Timeout = 2,

    /// <summary>SYN_SENT → CLOSE with sk_err ECONNRESET.</summary>
    Reset = 3,

    /// <summary>Anything else: the caller closed the socket first, ICMP unreachable, no free port.</summary>
    Other = 4,
}

/// <summary>Label values of <see cref="ConnectResult"/>.</summary>
public static class ConnectResults
{
    public const int Count = 5;

    private static readonly string[] Names = ["established", "refused", "timeout", "reset", "other"];

    public static string Name(ConnectResult result) => (int)result < Names.Length ? Names[(int)result] : "other";
}
