using System.Diagnostics;
using System.Globalization;

namespace ConnExporter.Metrics.Exposition;

/// <summary>
/// Renders numbers as UTF-8 the way Prometheus' Go client does, so output is stable across
/// exporters: <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>; otherwise Go's <c>strconv.FormatFloat(v, 'g', -1, 64)</c>
/// (shortest round-trip digits, exponent form below 1e-4 and from 1e+06 on, exponent of at least
/// two digits). Sample values that are whole numbers below 1e15 are written as plain integers so
/// byte and packet counts stay exact and readable.
/// </summary>
internal static class SampleNumber
{
    /// <summary>Longest output: sign, 17 digits, point, up to 5 leading zeros, "e+308".</summary>
    public const int MaxLength = 32;

    private const double PlainIntegerLimit = 1e15;

    /// <summary>A sample value: integral → integer digits, else Go <c>%g</c>.</summary>
    public static int FormatValue(double value, Span<byte> destination)
    {
        if (double.IsFinite(value) && Math.Abs(value) < PlainIntegerLimit && value == Math.Floor(value))
            return FormatInteger((long)value, destination);
        return FormatGo(value, destination);
    }

    public static int FormatInteger(long value, Span<byte> destination)
    {
        bool ok = value.TryFormat(destination, out int written, default, CultureInfo.InvariantCulture);
        Debug.Assert(ok);
        return written;
    }

    public static int FormatInteger(ulong value, Span<byte> destination)
    {
        bool ok = value.TryFormat(destination, out int written, default, CultureInfo.InvariantCulture);
        Debug.Assert(ok);
        return written;
    }

    /// <summary>
    /// A histogram <c>le</c> label value: Go <c>%g</c> as Prometheus' text format writes it (<c>1</c>,
    /// <c>0.005</c>, <c>1e-05</c>); for OpenMetrics its canonical form, which appends <c>.0</c> when
    /// there is neither a point nor an exponent (<c>1.0</c>, <c>100000.0</c>, <c>1e+06</c>).
    /// </summary>
    public static int FormatBound(double bound, Span<byte> destination, bool openMetrics)
    {
        int n = FormatGo(bound, destination);
        if (openMetrics && double.IsFinite(bound) && destination[..n].IndexOfAny((byte)'.', (byte)'e') < 0)
        {
            destination[n++] = (byte)'.';
            destination[n++] = (byte)'0';
        }
        return n;
    }

    /// <summary>Go's <c>strconv.FormatFloat(value, 'g', -1, 64)</c>, with Prometheus' spelling of infinities.</summary>
    public static int FormatGo(double value, Span<byte> destination)
    {
        if (double.IsNaN(value))
            return Copy("NaN"u8, destination);
        if (double.IsPositiveInfinity(value))
            return Copy("+Inf"u8, destination);
        if (double.IsNegativeInfinity(value))
            return Copy("-Inf"u8, destination);

        // .NET's "R" gives the same shortest round-trip digits as Go; only the layout differs
        // ("1E-05", "1E+16", "123.45"), so take the digits and the decimal exponent from it.
        Span<byte> text = stackalloc byte[MaxLength];
        bool ok = value.TryFormat(text, out int textLength, "R", CultureInfo.InvariantCulture);
        Debug.Assert(ok);
        text = text[..textLength];

        Span<byte> digits = stackalloc byte[20];
        int digitCount = 0;
        int pointPosition = 0; // value = 0.<digits> × 10^pointPosition
        bool negative = false, afterPoint = false, significant = false;
        int i = 0;
        for (; i < text.Length; i++)
        {
            byte c = text[i];
            if (c == '-')
            {
                negative = true;
            }
            else if (c == '.')
            {
                afterPoint = true;
            }
            else if (c == 'E')
            {
                break;
            }
            else if (c == '0' && !significant)
            {
                if (afterPoint)
                    pointPosition--;
            }
            else
            {
                significant = true;
                digits[digitCount++] = c;
                if (!afterPoint)
                    pointPosition++;
            }
        }
        if (i < text.Length)
        {
            bool parsed = int.TryParse(text[(i + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int exponent);
            Debug.Assert(parsed);
            pointPosition += exponent;
        }
        while (digitCount > 0 && digits[digitCount - 1] == '0')
            digitCount--;

        int n = 0;
        if (negative)
            destination[n++] = (byte)'-';
        if (digitCount == 0)
        {
            destination[n++] = (byte)'0';
            return n;
        }

        digits = digits[..digitCount];
        int decimalExponent = pointPosition - 1;
        if (decimalExponent < -4 || decimalExponent >= 6)
        {
            // %e: d[.ddd]e±XX
            destination[n++] = digits[0];
            if (digitCount > 1)
            {
                destination[n++] = (byte)'.';
                digits[1..].CopyTo(destination[n..]);
                n += digitCount - 1;
            }
            destination[n++] = (byte)'e';
            destination[n++] = decimalExponent < 0 ? (byte)'-' : (byte)'+';
            int magnitude = Math.Abs(decimalExponent);
            if (magnitude < 10)
                destination[n++] = (byte)'0';
            n += FormatInteger(magnitude, destination[n..]);
            return n;
        }

        // %f with exactly the significant digits.
        if (pointPosition <= 0)
        {
            destination[n++] = (byte)'0';
            destination[n++] = (byte)'.';
            destination.Slice(n, -pointPosition).Fill((byte)'0');
            n += -pointPosition;
            digits.CopyTo(destination[n..]);
            return n + digitCount;
        }
        if (pointPosition >= digitCount)
        {
            digits.CopyTo(destination[n..]);
            n += digitCount;
            destination.Slice(n, pointPosition - digitCount).Fill((byte)'0');
            return n + pointPosition - digitCount;
        }
        digits[..pointPosition].CopyTo(destination[n..]);
        n += pointPosition;
        destination[n++] = (byte)'.';
        digits[pointPosition..].CopyTo(destination[n..]);
        return n + digitCount - pointPosition;
    }

    private static int Copy(ReadOnlySpan<byte> literal, Span<byte> destination)
    {
        literal.CopyTo(destination);
        return literal.Length;
    }
}
