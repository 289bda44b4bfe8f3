using System.Net.NetworkInformation;
using System.Net.Sockets;
using ConnExporter.Kernel.Interfaces;

namespace ConnExporter.Inventory;

/// <summary>
/// The host's interfaces and their addresses at one moment, to name the interface a socket
/// belongs to. Loaded through the NetworkInterface API (getifaddrs), or without netlink from
/// ioctls and procfs; never by running <c>ip</c>.
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

    /// <summary>True when the table was read without netlink (ioctls and procfs).</summary>
    public bool ReadWithoutNetlink { get; private init; }

    /// <summary>
    /// The host's table through getifaddrs; when netlink is refused (a unit's
    /// <c>RestrictAddressFamilies=</c> without AF_NETLINK), from /proc/net/dev, /proc/net/if_inet6
    /// and the SIOCGIFCONF and SIOCGIFINDEX ioctls instead.
    /// </summary>
    public static InterfaceTable Load()
    {
        try
        {
            return FromNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            return FromKernelFiles();
        }
    }

    private static InterfaceTable FromNetworkInterfaces()
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
                Add(byAddress, byLinkLocal, nic.Name,
                    unicast.Address.AddressFamily == AddressFamily.InterNetworkV6 ? (int)unicast.Address.ScopeId : 0,
                    InetAddress.FromIPAddress(unicast.Address));
        }
        return new InterfaceTable(byIndex, byAddress, byLinkLocal);
    }

    /// <param name="procNet">The reader's /proc/net: <c>thread-self</c>, so a thread that entered
    /// another network namespace reads that namespace (/proc/self/net is the main thread's).</param>
    internal static InterfaceTable FromKernelFiles(string procNet = "/proc/thread-self/net")
    {
        var names = new List<string>();
        ProcNetDev.ParseNames(File.ReadAllBytes(Path.Combine(procNet, "dev")), names);
        var addresses = new List<InterfaceAddress>();
        var byIndex = new Dictionary<int, string>();
        using (var socket = SiocGifConf.OpenSocket())
        {
            SiocGifConf.Read(socket, addresses);
            foreach (var name in names)
                if (SiocGifIndex.IndexOf(socket, name) is > 0 and var index) byIndex[index] = name;
        }
        try
        {
            ProcNetIfInet6.Parse(File.ReadAllBytes(Path.Combine(procNet, "if_inet6")), addresses);
        }
        catch (FileNotFoundException)
        {
            // IPv6 disabled: no file, no addresses.
        }
        var indexes = byIndex.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        var byAddress = new Dictionary<InetAddress, string>();
        var byLinkLocal = new Dictionary<(InetAddress, int), string>();
        foreach (var a in addresses)
        {
            int index = a.Index > 0 ? a.Index : indexes.GetValueOrDefault(a.Name);
            if (index > 0) byIndex.TryAdd(index, a.Name);
            Add(byAddress, byLinkLocal, a.Name, index, a.Address);
        }
        return new InterfaceTable(byIndex, byAddress, byLinkLocal) { ReadWithoutNetlink = true };
    }

    /// <summary>
    /// Another namespace's table from its member process's procfs view alone (<c>/proc/&lt;pid&gt;/net</c>,
    /// world-readable), without entering it: names from <c>dev</c>, IPv6 addresses with their
    /// indexes from <c>if_inet6</c>, IPv4 addresses from <c>fib_trie</c>, named by the most
    /// specific route of <c>route</c> that covers them.
    /// </summary>
    /// <exception cref="IOException">The directory went away (the process exited).</exception>
    internal static InterfaceTable FromProcNet(string procNet)
    {
        var byIndex = new Dictionary<int, string>();
        var byAddress = new Dictionary<InetAddress, string>();
        var byLinkLocal = new Dictionary<(InetAddress, int), string>();

        var v6 = new List<InterfaceAddress>();
        if (ReadIfPresent(Path.Combine(procNet, "if_inet6")) is { } ifInet6) ProcNetIfInet6.Parse(ifInet6, v6);
        foreach (var a in v6)
        {
            if (a.Index > 0) byIndex.TryAdd(a.Index, a.Name);
            Add(byAddress, byLinkLocal, a.Name, a.Index, a.Address);
        }

        var local = new List<uint>();
        ProcNetFibTrie.ParseLocalAddresses(File.ReadAllBytes(Path.Combine(procNet, "fib_trie")), local);
        var routes = new List<ProcNetRoute.Route>();
        ProcNetRoute.Parse(File.ReadAllBytes(Path.Combine(procNet, "route")), routes);
        Span<byte> bytes = stackalloc byte[4];
        foreach (uint address in local)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, address);
            var inet = InetAddress.FromIPv4(bytes);
            if (inet.IsLoopback) continue; // 127/8 is always lo
            if (ProcNetRoute.InterfaceFor(routes, address) is { } name) Add(byAddress, byLinkLocal, name, 0, inet);
        }
        return new InterfaceTable(byIndex, byAddress, byLinkLocal) { ReadWithoutNetlink = true };
    }

    private static byte[]? ReadIfPresent(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null; // IPv6 disabled in that namespace
        }
    }

    private static void Add(Dictionary<InetAddress, string> byAddress, Dictionary<(InetAddress, int), string> byLinkLocal,
        string name, int scope, InetAddress address)
    {
        address = address.Normalize();
        if (address.IsIPv6LinkLocal)
        {
            byLinkLocal.TryAdd((address, scope), name);
            byLinkLocal.TryAdd((address, 0), name);
        }
        else
        {
            byAddress.TryAdd(address, name);
        }
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
