namespace ConnExporter.Inventory;

/// <summary>What reading one fd link of a <see cref="FdLinkBatch"/> gave.</summary>
internal enum FdLinkOutcome : byte
{
    Read,

    /// <summary>The fd was closed after the listing (or the read failed otherwise): no owner from it.</summary>
    Gone,

    /// <summary>Refused (EACCES/EPERM): the whole fd table is unreadable to us.</summary>
    Denied,
}
