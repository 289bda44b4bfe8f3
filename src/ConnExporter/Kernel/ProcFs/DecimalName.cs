namespace ConnExporter.Kernel.ProcFs;

/// <summary>
/// Decimal numbers that procfs uses as names (pids, fd numbers), parsed from bytes: no sign, no
/// spaces, no allocation.
/// </summary>
internal static class DecimalName
{
    public static bool TryParse(ReadOnlySpan<byte> name, out int value)
    {
        value = 0;
        if (name.IsEmpty || name.Length > 10) return false;
        long acc = 0;
        foreach (byte b in name)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9) return false;
            acc = acc * 10 + digit;
        }
        if (acc > int.MaxValue) return false;
        value = (int)acc;
        return true;
    }

    public static bool TryParse(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20) return false;
        ulong acc = 0;
        foreach (byte b in text)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9) return false;
            if (acc > (ulong.MaxValue - digit) / 10) return false;
            acc = acc * 10 + digit;
        }
        value = acc;
        return true;
    }
}
