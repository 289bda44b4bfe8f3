using System.Collections.ObjectModel;

namespace ConnExporter.Inventory;

/// <summary>
/// What <see cref="ProcessResolver"/> remembers of one process between scans: its identity
/// (read once per process lifetime) and its fd table as last seen.
/// </summary>
internal sealed class ProcessCacheEntry
{
    private readonly byte[] _comm;

    public ProcessCacheEntry(ProcessInfo info, ReadOnlySpan<byte> comm)
    {
        Info = info;
        _comm = comm.ToArray();
        AsOwnerList = new ReadOnlyCollection<ProcessInfo>([info]);
    }

    public ProcessInfo Info { get; }

    /// <summary>The owner list of every socket only this process holds, shared by all of them.</summary>
    public IReadOnlyList<ProcessInfo> AsOwnerList { get; }

    /// <summary>fd number → what its link named at the last read.</summary>
    public Dictionary<int, FdSlot> Fds { get; } = [];

    /// <summary>How many fds the last listing of the fd directory found; -1 before the first.</summary>
    public int ListedFdCount { get; set; } = -1;

    /// <summary>
    /// Whether every cached socket is still as wanted or unwanted as when it was read. A wanted
    /// socket that left the wanted set was closed; its fd number may name something new.
    /// </summary>
    public bool SocketsStillAsWanted(IReadOnlySet<ulong> wanted)
    {
        foreach (var slot in Fds.Values)
            if (slot.Inode != 0 && slot.Wanted != wanted.Contains(slot.Inode)) return false;
        return true;
    }

    /// <summary>
    /// Records which cached sockets are among <paramref name="wanted"/>: links read before the
    /// wanted set was known (<see cref="ProcessResolver.WalkAhead"/>) were all marked unwanted.
    /// </summary>
    public void MarkWanted(IReadOnlySet<ulong> wanted)
    {
        foreach (int fd in Fds.Keys)
        {
            ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(Fds, fd);
            if (slot.Inode != 0) slot.Wanted = wanted.Contains(slot.Inode);
        }
    }

    /// <summary>The resolver generation that last saw this process; older entries are evicted.</summary>
    public uint Generation { get; set; }

    /// <summary>
    /// Whether stat's comm is still the one this entry was made with. exec(2) changes comm and
    /// exe but keeps pid and start time, so a changed comm makes the entry stale.
    /// </summary>
    public bool HasComm(ReadOnlySpan<byte> comm) => comm.SequenceEqual(_comm);
}

/// <summary>One fd's cached link.</summary>
internal struct FdSlot
{
    /// <summary>The socket inode the fd named, 0 when it was not a socket.</summary>
    public ulong Inode;

    /// <summary>Whether <see cref="Inode"/> was among the wanted inodes when last checked.</summary>
    public bool Wanted;

    /// <summary>The resolver generation that last listed this fd; older slots are swept.</summary>
    public uint Generation;
}
