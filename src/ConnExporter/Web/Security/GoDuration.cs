using System.Globalization;

namespace ConnExporter.Web.Security;

/// <summary>
/// Go's <c>time.ParseDuration</c> syntax, which yaml.v2 uses for duration fields: a sequence of
/// decimal numbers with units <c>ns us µs ms s m h</c> (e.g. <c>1m30s</c>, <c>1.5s</c>), an
/// optional sign, or a bare <c>0</c>. A plain integer is nanoseconds, as yaml.v2 reads it.
/// </summary>
internal static class GoDuration
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        var s = text.AsSpan();
        if (s.IsEmpty) return false;
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long nanoseconds))
        {
            duration = TimeSpan.FromTicks(nanoseconds / 100);
            return true;
        }

        bool negative = false;
        if (s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s.IsEmpty) return false;

        double totalNanoseconds = 0;
        while (!s.IsEmpty)
        {
            int digits = 0;
            while (digits < s.Length && (char.IsAsciiDigit(s[digits]) || s[digits] == '.')) digits++;
            if (digits == 0 || !double.TryParse(s[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value))
                return false;
            s = s[digits..];
            int unitLength = 0;
            while (unitLength < s.Length && !char.IsAsciiDigit(s[unitLength]) && s[unitLength] != '.') unitLength++;
            double scale = s[..unitLength] switch
            {
                "ns" => 1,
                "us" or "µs" or "μs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                _ => double.NaN,
            };
            if (double.IsNaN(scale)) return false;
            s = s[unitLength..];
            totalNanoseconds += value * scale;
        }
        // Go's Duration is an int64 of nanoseconds: about 292 years.
        if (totalNanoseconds > long.MaxValue) return false;
        duration = TimeSpan.FromTicks((long)(totalNanoseconds / 100) * (negative ? -1 : 1));
        return true;
    }
}
