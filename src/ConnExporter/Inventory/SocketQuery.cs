namespace ConnExporter.Inventory;

/// <summary>Which protocols and families a source is asked for.</summary>
[Flags]
public enum SocketKinds : byte
{
    None = 0,
    Tcp4 = 1,
    Tcp6 = 2,
    Udp4 = 4,
    Udp6 = 8,
    Tcp = Tcp4 | Tcp6,
    Udp = Udp4 | Udp6,
    All = Tcp | Udp,
}
