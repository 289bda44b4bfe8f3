using System.Text;

namespace ConnExporter.Kernel.Interfaces;

/// <summary>An interface's index by name through <c>ioctl(SIOCGIFINDEX)</c>, which needs no netlink.</summary>
internal static class SiocGifIndex
{
    /// <summary>The index, or 0 when the interface is gone or the name does not fit.</summary>
    public static unsafe int IndexOf(SafeDescriptorHandle socket, string name)
    {
        // struct ifreq: char ifr_name[16], then int ifr_ifindex at the start of the union.
        var request = stackalloc byte[40];
        var span = new Span<byte>(request, 40);
        span.Clear();
        if (Encoding.UTF8.GetByteCount(name) > 15) return 0;
        Encoding.UTF8.GetBytes(name, span);
        return Interop.Ioctl(socket, Interop.SIOCGIFINDEX, request) == 0 ? *(int*)(request + 16) : 0;
    }
}
