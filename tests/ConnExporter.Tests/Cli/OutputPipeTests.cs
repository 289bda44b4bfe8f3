using System.IO.Pipes;
using ConnExporter.Cli;

namespace ConnExporter.Tests.Cli;

/// <summary>The command's stdout pipe is widened to 1 MiB; anything else is left alone. (That a
/// larger pipe is never narrowed is not tested: beyond fs.pipe-max-size even root is refused here.)</summary>
public class OutputPipeTests
{
    private static int PipeSize(int fd) => Interop.Fcntl(fd, Interop.FcntlCommands.GetPipeSize, 0);

    [Fact]
    public void A_default_pipe_is_widened_to_a_mebibyte()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        int fd = (int)pipe.SafePipeHandle.DangerousGetHandle();
        Assert.Equal(64 * 1024, PipeSize(fd)); // the kernel's default: else this test shows nothing

        Assert.Equal(OutputPipe.Size, OutputPipe.Widen(fd));
        Assert.Equal(OutputPipe.Size, PipeSize(fd));
        Assert.Equal(OutputPipe.Size, OutputPipe.Widen(fd));
    }

    [Fact]
    public void A_file_is_not_a_pipe()
    {
        string path = Path.GetTempFileName();
        try
        {
            using var file = File.OpenWrite(path);
            Assert.Equal(-1, OutputPipe.Widen((int)file.SafeFileHandle.DangerousGetHandle()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_write_after_the_reader_is_gone_fails_with_epipe_for_the_command_to_stop()
    {
        var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        reader.Dispose();
        pipe.DisposeLocalCopyOfClientHandle();
        int fd = (int)pipe.SafePipeHandle.DangerousGetHandle();
        using (var stream = OutputPipe.Open(fd))
        {
            var e = Assert.ThrowsAny<IOException>(() => stream.Write(new byte[4096]));
            Assert.Equal(32, e.HResult); // EPIPE, what ConnectionsCommand takes for "reader gone"
        }
        pipe.Dispose();
    }
}
