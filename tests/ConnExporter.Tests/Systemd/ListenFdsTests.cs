using ConnExporter.Systemd;

namespace ConnExporter.Tests.Systemd;

public sealed class ListenFdsTests
{
    private const int Pid = 4242;

    [Fact]
    public void NoVariablesNoSockets()
    {
        var result = ListenFds.Parse(null, null, null, Pid);
        Assert.Empty(result.Sockets);
        Assert.Null(result.Ignored);
    }

    [Fact]
    public void NamedSocketsStartAtDescriptorThreeWithTheirRoles()
    {
        var result = ListenFds.Parse("4242", "3", "metrics:https:conn-exporter.socket", Pid);
        Assert.Equal(
            [new PassedSocket(3, "metrics"), new PassedSocket(4, "https"), new PassedSocket(5, "conn-exporter.socket")],
            result.Sockets);
        Assert.Equal([SocketRole.Http, SocketRole.Https, SocketRole.Http], result.Sockets.Select(s => s.Role));
    }

    [Fact]
    public void WithoutNamesSocketsAreUnnamedPlainHttp()
    {
        var result = ListenFds.Parse("4242", "2", null, Pid);
        Assert.Equal([3, 4], result.Sockets.Select(s => s.Fd));
        Assert.All(result.Sockets, s => Assert.Equal("", s.Name));
        Assert.All(result.Sockets, s => Assert.Equal(SocketRole.Http, s.Role));
        Assert.Equal("fd 3", result.Sockets[0].ToString());
    }

    [Fact]
    public void SocketsForAnotherProcessAreIgnoredWithTheReason()
    {
        var result = ListenFds.Parse("1", "2", "metrics:https", Pid);
        Assert.Empty(result.Sockets);
        Assert.Contains("process 1", result.Ignored);
    }

    [Fact]
    public void ZeroDescriptorsIsNone() => Assert.Empty(ListenFds.Parse("4242", "0", "", Pid).Sockets);

    [Theory]
    [InlineData("x", "1", null)]
    [InlineData("4242", "one", null)]
    [InlineData("4242", "-1", null)]
    [InlineData("4242", "2", "metrics")]
    [InlineData("4242", "1", "metrics:https")]
    [InlineData(null, "1", null)]
    public void MalformedVariablesAreAnError(string? pid, string? count, string? names) =>
        Assert.Throws<FormatException>(() => ListenFds.Parse(pid, count, names, Pid));
}
