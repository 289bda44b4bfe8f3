using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace ConnExporter.Inventory;

/// <summary>
/// The host's interfaces and their addresses at one moment, to name the interface a socket
/// belongs to. Loaded through the NetworkInterface API (getifaddrs), never by running <c>ip</c>.
/// </summary>
public sealed class InterfaceTable
{
    public const string Any = "any";
    public const string Loopback = "lo";
    public const string Unknown = "unknown";

    private readonly Dictionary<int, string> _byIndex;
    private readonly Dictionary<InetAddress, string> _byAddress;
    // Link-local addresses repeat across interfaces; the scope id tells them apart.
    private readonly Dictionary<(InetAddress, int), string> _byLinkLocal;

    internal InterfaceTable(
        Dictionary<int, string> byIndex,
        Dictionary<InetAddress, string> byAddress,
        Dictionary<(InetAddress, int), string> byLinkLocal)
    {
        _byIndex = byIndex;
        _byAddress = byAddress;
        _byLinkLocal = byLinkLocal;
    }

    public IReadOnlyCollection<string> Names => _byIndex.Values;

    public static InterfaceTable Load()
    {
        var byIndex = new Dictionary<int, string>();
        var byAddress = new Dictionary<InetAddress, string>();
        var byLinkLocal = new Dictionary<(InetAddress, int), string>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            var props = nic.GetIPProperties();
            int index = IndexOf(nic, props);
            if (index > 0) byIndex[index] = nic.Name;
            foreach (var unicast in props.UnicastAddresses)
            {
                var address = InetAddress.FromIPAddress(unicast.Address).Normalize();
                if (address.IsIPv6LinkLocal)
                {
                    byLinkLocal.TryAdd((address, (int)unicast.Address.ScopeId), nic.Name);
                    byLinkLocal.TryAdd((address, 0), nic.Name);
                }
                else
                {
                    byAddress.TryAdd(address, nic.Name);
                }
            }
        }
        return new InterfaceTable(byIndex, byAddress, byLinkLocal);
    }

    private static int IndexOf(NetworkInterface nic, IPInterfaceProperties props)
    {
        if (nic.Supports(NetworkInterfaceComponent.IPv4)) return props.GetIPv4Properties().Index;
        if (nic.Supports(NetworkInterfaceComponent.IPv6)) return props.GetIPv6Properties().Index;
        return 0;
    }

    /// <summary>
    /// The interface of a socket: its bound device when it has one, else the interface owning
    /// its local address; <c>any</c> for wildcard binds (they belong to every interface),
    /// <c>lo</c> for 127.0.0.0/8 and ::1, <c>unknown</c> when nothing matches.
    /// </summary>
    public string Resolve(in SocketRecord socket)
    {
        if (socket.BoundInterfaceIndex > 0 && _byIndex.TryGetValue(socket.BoundInterfaceIndex, out var bound))
            return bound;
        var local = socket.Local.Address.Normalize();
        if (local.IsUnspecified) return Any;
        if (local.IsLoopback) return Loopback;
        if (local.IsIPv6LinkLocal)
            return _byLinkLocal.TryGetValue((local, socket.BoundInterfaceIndex), out var scoped) ? scoped : Unknown;
        return _byAddress.TryGetValue(local, out var name) ? name : Unknown;
    }
}
