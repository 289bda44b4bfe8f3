namespace ConnExporter.Kernel.Namespaces;

/// <summary>
/// The target of a <c>/proc/&lt;pid&gt;/ns/net</c> link, <c>net:[4026531840]</c>
/// (fs/nsfs.c, ns_dname): the namespace's inode number, which identifies it host-wide.
/// </summary>
internal static class NamespaceLink
{
    public static bool TryParseNet(ReadOnlySpan<byte> target, out ulong inode)
    {
        inode = 0;
        if (!target.StartsWith("net:["u8) || target.Length < 7 || target[^1] != (byte)']') return false;
        var digits = target[5..^1];
        foreach (byte b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
            ulong next = inode * 10 + (ulong)(b - '0');
            if (next / 10 != inode) return false; // overflow
            inode = next;
        }
        return inode != 0;
    }
}
