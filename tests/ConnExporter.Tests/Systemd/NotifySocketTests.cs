using ConnExporter.Systemd;

namespace ConnExporter.Tests.Systemd;

public sealed class NotifySocketTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DeliversOneDatagramPerMessageToPathAndAbstractSockets(bool abstractName)
    {
        using var receiver = new NotifyReceiver(abstractName);
        using var notify = NotifySocket.Open(receiver.NotifySocketPath);
        Assert.NotNull(notify);
        Assert.True(notify.Send(NotifyMessage.Ready));
        Assert.True(notify.Send(NotifyMessage.Reloading(123456789)));
        Assert.True(notify.Send(NotifyMessage.Status("1 socket\nvia netlink")));
        Assert.Equal("READY=1", receiver.Next(Wait));
        Assert.Equal("RELOADING=1\nMONOTONIC_USEC=123456789", receiver.Next(Wait));
        Assert.Equal("STATUS=1 socket via netlink", receiver.Next(Wait));
        Assert.Equal(0, notify.Failures);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("relative/notify")]
    [InlineData("vsock:2:1234")]
    public void NoSocketWithoutAnAbsolutePathOrAbstractName(string? path) =>
        Assert.Null(NotifySocket.Open(path));

    [Fact]
    public void ASocketThatWentAwayIsAFailedSendNotAnException()
    {
        string path;
        using (var receiver = new NotifyReceiver()) path = receiver.NotifySocketPath;
        using var notify = NotifySocket.Open(path)!;
        Assert.False(notify.Send(NotifyMessage.Stopping));
        Assert.Equal(1, notify.Failures);
    }
}
