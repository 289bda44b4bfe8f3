using ConnExporter.Inventory;
using ConnExporter.Kernel.Netlink;

namespace ConnExporter.Tests.Kernel.Netlink;

/// <summary>How kernel refusals become results or exceptions (the real refusals need a seccomp
/// filter or a kernel without inet_diag, which the test host does not offer).</summary>
public class SockDiagSourceErrorTests
{
    [Theory]
    [InlineData(Interop.Errno.EACCES, true)]
    [InlineData(Interop.Errno.EPERM, true)]
    [InlineData(Interop.Errno.EAFNOSUPPORT, true)]
    [InlineData(Interop.Errno.EPROTONOSUPPORT, true)]
    [InlineData(Interop.Errno.EMFILE, false)]
    [InlineData(Interop.Errno.ENOBUFS, false)]
    internal void Socket_refusals_make_the_source_unavailable(Interop.Errno errno, bool refusal) =>
        Assert.Equal(refusal, SockDiagSource.IsSocketRefusal(errno));

    [Fact]
    public void Socket_refusal_names_the_cause_and_the_fix()
    {
        var e = SockDiagSource.SocketRefused(new NetlinkException("socket failed", (int)Interop.Errno.EAFNOSUPPORT));
        Assert.Equal(97, e.Errno);
        Assert.Contains("EAFNOSUPPORT", e.Message);
        Assert.Contains("RestrictAddressFamilies", e.Message);
        Assert.Contains("allow AF_NETLINK or use --collector.source=procfs", e.Message);
        Assert.IsType<NetlinkException>(e.InnerException);
    }

    [Theory]
    [InlineData(Interop.Errno.EAFNOSUPPORT)]
    [InlineData(Interop.Errno.ENOENT)]
    [InlineData(Interop.Errno.EINVAL)]
    internal void Missing_ipv6_yields_nothing(Interop.Errno errno)
    {
        Assert.Equal(SourceReadResult.Clean, SockDiagSource.Refused(InetDiagRequest.AfInet6, SocketProtocol.Tcp, (int)errno));
        Assert.Equal(SourceReadResult.Clean, SockDiagSource.Refused(InetDiagRequest.AfInet6, SocketProtocol.Udp, (int)errno));
    }

    [Fact]
    public void Missing_udp_diag_for_ipv4_makes_the_source_unavailable()
    {
        var e = Assert.Throws<SocketSourceUnavailableException>(() =>
            SockDiagSource.Refused(InetDiagRequest.AfInet, SocketProtocol.Udp, (int)Interop.Errno.ENOENT));
        Assert.Equal(2, e.Errno);
        Assert.Contains("udp4", e.Message);
        Assert.Contains("udp_diag", e.Message);
        Assert.Contains("--collector.source=procfs", e.Message);
    }

    [Fact]
    public void Other_kernel_errors_are_netlink_failures()
    {
        var e = Assert.Throws<NetlinkException>(() =>
            SockDiagSource.Refused(InetDiagRequest.AfInet6, SocketProtocol.Tcp, (int)Interop.Errno.ENOMEM));
        Assert.Equal(12, e.Errno);
        Assert.Contains("tcp6", e.Message);
    }
}
