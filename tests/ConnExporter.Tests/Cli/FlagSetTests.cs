using ConnExporter.Cli;

namespace ConnExporter.Tests.Cli;

public sealed class FlagSetTests
{
    private static FlagSet Flags()
    {
        var f = new FlagSet("conn-exporter");
        f.Add(new Flag("web.listen-address", "addr", ":9811", repeatable: true));
        f.Add(new Flag("collector.peers", "peers", "true", isBool: true));
        f.Add(new Flag("log.level", "level", "info", allowed: ["debug", "info"]));
        f.Add(new Flag("max", "n", "10"));
        return f;
    }

    [Fact]
    public void KingpinForms()
    {
        var f = Flags();
        f.Parse(["--web.listen-address=:1", "--web.listen-address", ":2", "--no-collector.peers", "--log.level", "debug", "pos"]);
        Assert.Equal([":1", ":2"], f.GetAll("web.listen-address"));
        Assert.False(f.GetBool("collector.peers"));
        Assert.Equal("debug", f.GetString("log.level"));
        Assert.Equal(["pos"], f.Positional);
        Assert.Equal(10, f.GetInt("max"));
    }

    [Fact]
    public void DefaultsApplyWhenUnset()
    {
        var f = Flags();
        f.Parse([]);
        Assert.Equal([":9811"], f.GetAll("web.listen-address"));
        Assert.True(f.GetBool("collector.peers"));
        Assert.False(f.IsSet("max"));
    }

    [Theory]
    [InlineData("--nope", "unknown long flag '--nope'")]
    [InlineData("--log.level=loud", "expected one of debug, info")]
    [InlineData("--collector.peers=maybe", "expected true or false")]
    [InlineData("--max", "expected argument for flag '--max'")]
    [InlineData("-x", "unknown short flag '-x'")]
    [InlineData("--no-max", "unknown long flag '--no-max'")]
    public void ErrorsNameTheFlag(string arg, string message)
    {
        var e = Assert.Throws<CommandLineException>(() => Flags().Parse([arg]));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IntRangeIsChecked()
    {
        var f = Flags();
        f.Parse(["--max=-1"]);
        var e = Assert.Throws<CommandLineException>(() => f.GetInt("max", 0, 5));
        Assert.Contains("--max", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UsageListsNegatableBooleans()
    {
        var usage = Flags().Usage("[<flags>]");
        Assert.Contains("--[no-]collector.peers", usage, StringComparison.Ordinal);
        Assert.Contains("(default: :9811)", usage, StringComparison.Ordinal);
    }
}
