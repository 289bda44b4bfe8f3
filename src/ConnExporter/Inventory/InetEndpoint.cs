namespace ConnExporter.Inventory;

/// <summary>An address and port, both by value.</summary>
public readonly record struct InetEndpoint(InetAddress Address, ushort Port)
{
    public override string ToString() =>
        Address.Family == IpFamily.IPv6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}
