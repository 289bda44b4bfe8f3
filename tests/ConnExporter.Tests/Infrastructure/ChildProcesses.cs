using System.Diagnostics;

namespace ConnExporter.Tests.Infrastructure;

/// <summary>Ends the helper processes a test started, whatever state they are in.</summary>
internal static class ChildProcesses
{
    /// <summary>Kills each with its children, waits briefly, and disposes it; already-gone ones are fine.</summary>
    public static void StopAll(IEnumerable<Process> processes)
    {
        foreach (var p in processes)
        {
            try
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
                // Never started or already reaped.
            }
            p.Dispose();
        }
    }
}
