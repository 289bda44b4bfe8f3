using System.Globalization;
using System.Text;
using ConnExporter.Metrics.Exposition;

namespace ConnExporter.Tests.Metrics.Exposition;

public sealed class SampleNumberTests
{
    // Expected strings are what Go's strconv.FormatFloat(v, 'g', -1, 64) prints.
    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(1.0, "1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.001, "0.001")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(1e-10, "1e-10")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(123456.7, "123456.7")]
    [InlineData(100000.0, "100000")]
    [InlineData(1e6, "1e+06")]
    [InlineData(1234567.0, "1.234567e+06")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e100, "1e+100")]
    [InlineData(-1.5e-7, "-1.5e-07")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(double.MaxValue, "1.7976931348623157e+308")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    public void FormatGo_MatchesGo(double value, string expected)
    {
        Assert.Equal(expected, Go(value));
    }

    [Theory]
    [InlineData(42.0, "42")]
    [InlineData(-0.0, "0")]
    [InlineData(-7.0, "-7")]
    [InlineData(1234567.0, "1234567")]
    [InlineData(999999999999999.0, "999999999999999")]
    [InlineData(1e15, "1e+15")]
    [InlineData(0.5, "0.5")]
    [InlineData(1234567.5, "1.2345675e+06")]
    [InlineData(double.NaN, "NaN")]
    public void FormatValue_WritesWholeNumbersAsIntegers(double value, string expected)
    {
        Span<byte> buffer = stackalloc byte[SampleNumber.MaxLength];
        int n = SampleNumber.FormatValue(value, buffer);
        Assert.Equal(expected, Encoding.UTF8.GetString(buffer[..n]));
    }

    // The OpenMetrics 1.0 specification's "Canonical Numbers" examples.
    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(0.001, "0.001")]
    [InlineData(0.002, "0.002")]
    [InlineData(0.01, "0.01")]
    [InlineData(0.9, "0.9")]
    [InlineData(0.95, "0.95")]
    [InlineData(0.999, "0.999")]
    [InlineData(1.0, "1.0")]
    [InlineData(1.7, "1.7")]
    [InlineData(10.0, "10.0")]
    [InlineData(1e-10, "1e-10")]
    [InlineData(1e-9, "1e-09")]
    [InlineData(1e-5, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.1, "0.1")]
    [InlineData(100000.0, "100000.0")]
    [InlineData(1e6, "1e+06")]
    [InlineData(1e10, "1e+10")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    public void FormatBound_OpenMetricsIsCanonical(double bound, string expected)
    {
        Assert.Equal(expected, Bound(bound, openMetrics: true));
    }

    [Fact]
    public void FormatBound_OpenMetricsCanonicalFromZeroToTenInMilliSteps()
    {
        for (int i = 0; i <= 10000; i++)
        {
            string expected = (i / 1000m).ToString("0.###", CultureInfo.InvariantCulture);
            if (!expected.Contains('.', StringComparison.Ordinal))
                expected += ".0";
            Assert.Equal(expected, Bound(i / 1000.0, openMetrics: true));
        }
    }

    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(0.005, "0.005")]
    [InlineData(1e6, "1e+06")]
    public void FormatBound_TextIsGoG(double bound, string expected)
    {
        Assert.Equal(expected, Bound(bound, openMetrics: false));
    }

    [Fact]
    public void FormatGo_RoundTrips()
    {
        var random = new Random(7);
        for (int i = 0; i < 10000; i++)
        {
            double value = BitConverter.Int64BitsToDouble(random.NextInt64());
            if (!double.IsFinite(value))
                continue;
            Assert.Equal(value, double.Parse(Go(value), CultureInfo.InvariantCulture));
        }
    }

    private static string Go(double value)
    {
        Span<byte> buffer = stackalloc byte[SampleNumber.MaxLength];
        int n = SampleNumber.FormatGo(value, buffer);
        return Encoding.UTF8.GetString(buffer[..n]);
    }

    private static string Bound(double value, bool openMetrics)
    {
        Span<byte> buffer = stackalloc byte[SampleNumber.MaxLength + 2];
        int n = SampleNumber.FormatBound(value, buffer, openMetrics);
        return Encoding.UTF8.GetString(buffer[..n]);
    }
}
