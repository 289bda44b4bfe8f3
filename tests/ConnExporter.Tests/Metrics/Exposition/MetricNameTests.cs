using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Tests.Metrics.Exposition;

public sealed class MetricNameTests
{
    [Theory]
    [InlineData("conn_sockets", true)]
    [InlineData("_x", true)]
    [InlineData("a:b_c9", true)]
    [InlineData("9a", false)]
    [InlineData("a-b", false)]
    [InlineData("a b", false)]
    [InlineData("é", false)]
    [InlineData("", false)]
    public void MetricNames(string name, bool valid)
    {
        Assert.Equal(valid, MetricName.IsValidMetricName(name));
    }

    [Theory]
    [InlineData("state", true)]
    [InlineData("_le", true)]
    [InlineData("a:b", false)]
    [InlineData("1a", false)]
    [InlineData("", false)]
    public void LabelNames(string name, bool valid)
    {
        Assert.Equal(valid, MetricName.IsValidLabelName(name));
    }
}
