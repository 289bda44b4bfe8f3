using System.Text;
using ConnExporter.Kernel.ProcFs;

namespace ConnExporter.Tests.Kernel.ProcFs;

public class ProcPidFdTests
{
    [Theory]
    [InlineData("socket:[12345]", 12345UL)]
    [InlineData("socket:[0]", 0UL)]
    [InlineData("socket:[18446744073709551615]", 18446744073709551615UL)]
    public void Socket_links_give_their_inode(string target, ulong inode)
    {
        Assert.True(ProcPidFd.TryParseSocketInode(Encoding.ASCII.GetBytes(target), out ulong parsed));
        Assert.Equal(inode, parsed);
    }

    [Theory]
    [InlineData("pipe:[12345]")]
    [InlineData("anon_inode:[eventfd]")]
    [InlineData("/dev/null")]
    [InlineData("/tmp/socket:[1]")]
    [InlineData("socket:[]")]
    [InlineData("socket:[12a]")]
    [InlineData("socket:[123")]
    [InlineData("socket:[18446744073709551616]")]
    [InlineData("")]
    public void Other_links_are_not_sockets(string target)
    {
        Assert.False(ProcPidFd.TryParseSocketInode(Encoding.ASCII.GetBytes(target), out _));
    }
}
