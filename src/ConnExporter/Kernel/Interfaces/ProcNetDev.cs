using System.Text;

namespace ConnExporter.Kernel.Interfaces;

/// <summary>
/// Interface names from <c>/proc/net/dev</c> (two header lines, then <c>  name: counters…</c>):
/// every interface of the reader's network namespace, with or without addresses.
/// </summary>
internal static class ProcNetDev
{
    public static void ParseNames(ReadOnlySpan<byte> text, List<string> into)
    {
        int line = 0;
        foreach (var range in text.Split((byte)'\n'))
        {
            if (line++ < 2) continue;
            var row = text[range];
            int colon = row.IndexOf((byte)':');
            if (colon <= 0) continue;
            var name = row[..colon].Trim((byte)' ');
            if (name.IsEmpty || name.Length > 15) continue;
            into.Add(Encoding.UTF8.GetString(name));
        }
    }
}
