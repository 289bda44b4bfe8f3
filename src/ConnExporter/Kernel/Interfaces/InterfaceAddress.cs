using ConnExporter.Inventory;

namespace ConnExporter.Kernel.Interfaces;

/// <summary>One address configured on an interface. <paramref name="Index"/> is 0 when the source does not say.</summary>
internal readonly record struct InterfaceAddress(string Name, int Index, InetAddress Address);
