using System.Text;
using ConnExporter.Kernel;
using ConnExporter.Kernel.ProcFs;

namespace ConnExporter.Tests.Kernel.ProcFs;

public sealed class DirectoryEntriesTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("cxt-dirents-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Lists_every_name_across_several_getdents_calls()
    {
        var expected = new HashSet<string>();
        for (int i = 0; i < 500; i++)
        {
            string name = i % 2 == 0 ? i.ToString() : $"file with spaces {i}";
            File.WriteAllText(Path.Combine(_dir.FullName, name), "");
            expected.Add(name);
        }
        Directory.CreateDirectory(Path.Combine(_dir.FullName, "sub"));
        expected.Add("sub");

        var seen = new HashSet<string>();
        var numbers = new HashSet<int>();
        bool subIsDirectory = false;
        Assert.True(ScopedFileDescriptor.TryOpenDirectoryAt(Interop.AtFdCwd, Nul(_dir.FullName), out var fd, out _));
        using (fd)
        {
            // A small buffer forces many getdents64 calls.
            var entries = new DirectoryEntries(fd.Value, stackalloc byte[512]);
            while (entries.MoveNext())
            {
                var entry = entries.Current;
                Assert.Equal(0, entry.NulTerminatedName[^1]);
                string name = Encoding.UTF8.GetString(entry.Name);
                seen.Add(name);
                if (entry.TryParseNumber(out int n)) numbers.Add(n);
                if (name == "sub") subIsDirectory = entry.Type == DirectoryEntry.TypeDirectory;
            }
            Assert.Equal(0, (int)entries.Error);
            Assert.False(entries.Malformed);
        }

        seen.Remove(".");
        seen.Remove("..");
        Assert.Equal(expected, seen);
        Assert.Equal(Enumerable.Range(0, 250).Select(i => i * 2).ToHashSet(), numbers);
        Assert.True(subIsDirectory);
    }

    [Fact]
    public void Opening_a_missing_directory_reports_enoent()
    {
        Assert.False(ScopedFileDescriptor.TryOpenDirectoryAt(
            Interop.AtFdCwd, Nul(Path.Combine(_dir.FullName, "missing")), out _, out var error));
        Assert.Equal(Interop.Errno.ENOENT, error);
    }

    [Theory]
    [InlineData("0", true, 0)]
    [InlineData("2147483647", true, int.MaxValue)]
    [InlineData("2147483648", false, 0)]
    [InlineData("self", false, 0)]
    [InlineData(".", false, 0)]
    [InlineData("-1", false, 0)]
    [InlineData("12a", false, 0)]
    [InlineData("", false, 0)]
    public void Numeric_names(string name, bool ok, int value)
    {
        Assert.Equal(ok, DecimalName.TryParse(Encoding.ASCII.GetBytes(name), out int parsed));
        Assert.Equal(value, parsed);
    }

    private static byte[] Nul(string path) => [.. Encoding.UTF8.GetBytes(path), 0];
}
