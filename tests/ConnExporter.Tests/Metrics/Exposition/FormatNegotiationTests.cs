using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Tests.Metrics.Exposition;

public sealed class FormatNegotiationTests
{
    private const ExpositionFormat Text = ExpositionFormat.PrometheusText004;
    private const ExpositionFormat OpenMetrics = ExpositionFormat.OpenMetrics100;

    [Theory]
    // Prometheus 2.x default scrape.
    [InlineData("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", OpenMetrics)]
    // Prometheus 3.x default scrape_protocols.
    [InlineData("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2", OpenMetrics)]
    // Prometheus 3.x with native histograms: protobuf first, which we do not write.
    [InlineData("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1", OpenMetrics)]
    // Prometheus configured for text only.
    [InlineData("text/plain;version=0.0.4;q=0.3,*/*;q=0.2", Text)]
    // curl.
    [InlineData("*/*", Text)]
    // A browser.
    [InlineData("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8", Text)]
    [InlineData("", Text)]
    [InlineData("application/json", Text)]
    [InlineData("application/openmetrics-text", OpenMetrics)]
    [InlineData("APPLICATION/OpenMetrics-Text; Version=\"1.0.0\"", OpenMetrics)]
    [InlineData("application/openmetrics-text;version=0.0.1", Text)]
    [InlineData("application/openmetrics-text;version=2.0.0", Text)]
    [InlineData("application/openmetrics-text;q=0", Text)]
    [InlineData("application/openmetrics-text;q=bogus", Text)]
    [InlineData("application/openmetrics-text;version=1.0.0;q=0.2,text/plain;version=0.0.4;q=0.5", Text)]
    [InlineData("text/plain;q=0.4,application/openmetrics-text;q=0.5", OpenMetrics)]
    // Equal q: a concrete type beats a wildcard, then the earlier entry wins.
    [InlineData("*/*;q=0.9,application/openmetrics-text;q=0.9", OpenMetrics)]
    [InlineData("text/plain;q=0.5,application/openmetrics-text;q=0.5", Text)]
    [InlineData("application/openmetrics-text;q=0.5,text/plain;q=0.5", OpenMetrics)]
    public void FromAccept(string accept, ExpositionFormat expected)
    {
        Assert.Equal(expected, FormatNegotiation.FromAccept(accept));
    }

    [Fact]
    public void ContentTypes()
    {
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", ExpositionContentType.For(Text));
        Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", ExpositionContentType.For(OpenMetrics));
    }
}
