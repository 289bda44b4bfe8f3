using System.Text;
using ConnExporter.Kernel.ProcFs;

namespace ConnExporter.Kernel.Namespaces;

/// <summary>
/// Finds every network namespace of the host: by the <c>/proc/&lt;pid&gt;/ns/net</c> link of each
/// process (a readlink each; reading another user's needs ptrace access, CAP_SYS_PTRACE), plus
/// the namespaces pinned by bind mounts without a process (<c>ip netns add</c>, Docker's sandboxes).
/// </summary>
/// <remarks>Not thread-safe: one discovery per collection. A process that exits while it is
/// looked at is simply not there; a namespace whose last process exits later is the reader's
/// clean miss.</remarks>
internal sealed class NamespaceDiscovery
{
    /// <summary>Members remembered per namespace: enough to survive a few exiting mid-scrape.</summary>
    public const int MembersKept = 4;

    /// <summary>Where <c>ip netns</c> and Docker pin namespaces (iproute2's NETNS_RUN_DIR and
    /// Docker's sandbox directory); relative to the root given to the constructor.</summary>
    internal static readonly string[] PinDirectories = ["run/netns", "var/run/docker/netns"];

    private const ulong ProcDynamicFirst = 0xF0000000UL;

    private readonly byte[] _procfsRoot; // NUL-terminated
    private readonly string _procfsRootText;
    private readonly string _rootfs;
    private readonly byte[] _listing = new byte[32 * 1024];
    private readonly byte[] _link = new byte[64];
    private readonly byte[] _path = new byte[4096];

    /// <param name="procfsRoot">procfs mount (<c>--path.procfs</c>).</param>
    /// <param name="rootfs">The host's root as this process sees it (<c>--path.rootfs</c>):
    /// pin directories are looked up under it.</param>
    public NamespaceDiscovery(string procfsRoot, string rootfs = "/")
    {
        _procfsRootText = procfsRoot;
        _procfsRoot = [.. Encoding.UTF8.GetBytes(procfsRoot), 0];
        _rootfs = rootfs;
    }

    /// <summary>Processes whose ns link could not be read in the last call (no ptrace access).</summary>
    public int Denied { get; private set; }

    /// <summary>The exporter's own namespace inode, 0 when unreadable.</summary>
    public ulong HostInode()
    {
        var path = ProcFile.NulTerminated(Path.Combine(_procfsRootText, "self/ns/net"), _path);
        return ProcFile.TryReadLink(Interop.AtFdCwd, path, _link, out int n, out _)
            && NamespaceLink.TryParseNet(_link.AsSpan(0, n), out ulong inode) ? inode : 0;
    }

    /// <summary>Every namespace, keyed by inode, the host's included.</summary>
    public Dictionary<ulong, DiscoveredNamespace> Discover()
    {
        var found = new Dictionary<ulong, DiscoveredNamespace>();
        Denied = 0;
        ScanProcesses(found);
        for (int i = 0; i < PinDirectories.Length; i++)
            ScanPins(Path.Combine(_rootfs, PinDirectories[i]), named: i == 0, found);
        return found;
    }

    private void ScanProcesses(Dictionary<ulong, DiscoveredNamespace> found)
    {
        if (!ScopedFileDescriptor.TryOpenDirectoryAt(Interop.AtFdCwd, _procfsRoot, out var root, out _)) return;
        using (root)
        {
            var entries = new DirectoryEntries(root.Value, _listing);
            while (entries.MoveNext())
            {
                var entry = entries.Current;
                if (entry.Type is not (DirectoryEntry.TypeDirectory or DirectoryEntry.TypeUnknown)) continue;
                if (!entry.TryParseNumber(out int pid)) continue;
                if (!ScopedFileDescriptor.TryOpenDirectoryAt(root.Value, entry.NulTerminatedName, out var pidDir, out _))
                    continue;
                using (pidDir)
                {
                    if (!ProcFile.TryReadLink(pidDir.Value, "ns/net\0"u8, _link, out int n, out var error))
                    {
                        // EACCES: another user's process without ptrace access; ENOENT: gone.
                        if (error is Interop.Errno.EACCES or Interop.Errno.EPERM) Denied++;
                        continue;
                    }
                    if (!NamespaceLink.TryParseNet(_link.AsSpan(0, n), out ulong inode)) continue;
                    if (!found.TryGetValue(inode, out var ns))
                        found[inode] = ns = new DiscoveredNamespace(inode, new List<int>(1), null);
                    // /proc lists pids in ascending order: the first members are the oldest,
                    // the least likely to exit during this scrape (a pod's pause process).
                    if (ns.Members.Count < MembersKept) ns.Members.Add(pid);
                }
            }
        }
    }

    /// <param name="named">Pins in <c>/run/netns</c> carry the name <c>ip netns</c> shows; Docker's are sandbox ids.</param>
    private void ScanPins(string directory, bool named, Dictionary<ulong, DiscoveredNamespace> found)
    {
        IEnumerable<string> files;
        try
        {
            files = Directory.EnumerateFiles(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // no such runtime here, or not ours to read
        }
        try
        {
            foreach (var file in files)
            {
                // A pin is an nsfs bind mount: stat gives the namespace's inode. nsfs inodes come
                // from procfs' dynamic range (fs/proc/generic.c, PROC_DYNAMIC_FIRST 0xF0000000); a
                // file left behind after its mount went away has an ordinary inode and is skipped.
                var path = ProcFile.NulTerminated(file, _path);
                if (!ProcFile.TryGetInode(Interop.AtFdCwd, path, out ulong inode) || inode < ProcDynamicFirst) continue;
                string? name = named ? Path.GetFileName(file) : null;
                found[inode] = found.TryGetValue(inode, out var ns)
                    ? ns with { PinnedPath = ns.PinnedPath ?? file, PinnedName = ns.PinnedName ?? name }
                    : new DiscoveredNamespace(inode, [], file) { PinnedName = name };
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The directory changed or closed under us: what was seen is kept.
        }
    }
}
