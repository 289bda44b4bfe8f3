namespace ConnExporter.Kernel.ProcFs;

/// <summary>
/// The targets of the <c>/proc/&lt;pid&gt;/fd/&lt;n&gt;</c> links. A socket's reads
/// <c>socket:[&lt;inode&gt;]</c> (net/socket.c, sockfs_dname); the inode is the one sock_diag
/// and <c>/proc/net/*</c> report for the socket.
/// </summary>
internal static class ProcPidFd
{
    private static ReadOnlySpan<byte> SocketPrefix => "socket:["u8;

    /// <summary>True and the inode when <paramref name="linkTarget"/> names a socket.</summary>
    public static bool TryParseSocketInode(ReadOnlySpan<byte> linkTarget, out ulong inode)
    {
        inode = 0;
        return linkTarget.StartsWith(SocketPrefix)
            && linkTarget.Length > SocketPrefix.Length + 1
            && linkTarget[^1] == (byte)']'
            && DecimalName.TryParse(linkTarget[SocketPrefix.Length..^1], out inode);
    }
}
