using System.Globalization;

namespace ConnExporter.Systemd;

/// <summary>
/// The sockets systemd passes a socket-activated service (sd_listen_fds(3)): <c>LISTEN_FDS</c>
/// descriptors from 3 on, meant for the process whose pid is <c>LISTEN_PID</c>, named by
/// <c>LISTEN_FDNAMES</c> (colon-separated). Variables meant for another process (a parent that
/// did not clean up) are ignored, as libsystemd does.
/// </summary>
public sealed record ListenFds(IReadOnlyList<PassedSocket> Sockets, string? Ignored)
{
    public const int FirstFd = 3; // SD_LISTEN_FDS_START
    public const string PidVariable = "LISTEN_PID";
    public const string CountVariable = "LISTEN_FDS";
    public const string NamesVariable = "LISTEN_FDNAMES";

    public static readonly ListenFds None = new([], null);

    /// <summary>
    /// Reads the variables for this process and, like <c>sd_listen_fds(unset_environment=1)</c>,
    /// removes them so children do not take our sockets for theirs; the descriptors become
    /// close-on-exec for the same reason.
    /// </summary>
    /// <exception cref="FormatException">The variables are malformed, or name a descriptor that is not open.</exception>
    public static ListenFds FromEnvironment()
    {
        var result = Parse(
            Environment.GetEnvironmentVariable(PidVariable),
            Environment.GetEnvironmentVariable(CountVariable),
            Environment.GetEnvironmentVariable(NamesVariable),
            Environment.ProcessId);
        Environment.SetEnvironmentVariable(PidVariable, null);
        Environment.SetEnvironmentVariable(CountVariable, null);
        Environment.SetEnvironmentVariable(NamesVariable, null);
        foreach (var socket in result.Sockets) MarkCloseOnExec(socket.Fd);
        return result;
    }

    /// <summary>The sockets the variables name for process <paramref name="ownPid"/>.</summary>
    /// <exception cref="FormatException">A variable is malformed.</exception>
    public static ListenFds Parse(string? pid, string? count, string? names, int ownPid)
    {
        if (string.IsNullOrEmpty(pid) && string.IsNullOrEmpty(count)) return None;
        if (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int forPid) || forPid <= 0)
            throw new FormatException($"{PidVariable}='{pid}' is not a process id");
        if (forPid != ownPid)
            return new ListenFds([], $"{CountVariable} is for process {forPid}, not this one ({ownPid})");
        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > 4096)
            throw new FormatException($"{CountVariable}='{count}' is not a descriptor count");
        if (n == 0) return None;

        // systemd always sends one name per descriptor; absent names mean an older manager.
        string[] split = string.IsNullOrEmpty(names) ? [] : names.Split(':');
        if (split.Length != 0 && split.Length != n)
            throw new FormatException($"{NamesVariable}='{names}' names {split.Length} descriptors, {CountVariable}={n}");
        var sockets = new PassedSocket[n];
        for (int i = 0; i < n; i++)
            sockets[i] = new PassedSocket(FirstFd + i, split.Length == 0 ? "" : split[i]);
        return new ListenFds(sockets, null);
    }

    private static void MarkCloseOnExec(int fd)
    {
        int flags = Interop.Fcntl(fd, Interop.FcntlCommands.GetFd, 0);
        if (flags < 0)
            throw new FormatException(
                $"{CountVariable} names descriptor {fd}, which is not open: {(Interop.Errno)System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        Interop.Fcntl(fd, Interop.FcntlCommands.SetFd, flags | Interop.FcntlCommands.CloseOnExec);
    }
}
