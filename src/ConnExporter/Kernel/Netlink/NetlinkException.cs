namespace ConnExporter.Kernel.Netlink;

/// <summary>A netlink system call or the kernel's reply failed with an errno.</summary>
public sealed class NetlinkException : IOException
{
    public NetlinkException(string message, int errno)
        : base(message) => Errno = errno;

    public NetlinkException() { }
    public NetlinkException(string message) : base(message) { }
    public NetlinkException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The positive errno (e.g. 97 for EAFNOSUPPORT), 0 when none applies.</summary>
    public int Errno { get; }
}
