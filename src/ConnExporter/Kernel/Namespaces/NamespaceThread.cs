using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ConnExporter.Kernel.Namespaces;

/// <summary>
/// A dedicated thread that runs work inside another network namespace: setns(2) in, the work,
/// setns back home. setns moves only the calling thread, so no other thread of the process (the
/// runtime's, Kestrel's) ever sees another namespace; sockets created in the work stay in the
/// namespace they were made in, and <c>/proc/thread-self/net</c> shows that namespace's files.
/// Needs CAP_SYS_ADMIN: without it the first call says so and every later one refuses at once.
/// </summary>
internal sealed class NamespaceThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;
    private readonly SafeFileHandle _home;

    /// <param name="homeNamespacePath">The namespace to return to after each item, normally
    /// <c>/proc/self/ns/net</c> (the process's, which the exporter reads as the host's).</param>
    public NamespaceThread(string homeNamespacePath)
    {
        _home = File.OpenHandle(homeNamespacePath, FileMode.Open, FileAccess.Read);
        _thread = new Thread(Loop) { IsBackground = true, Name = "netns" };
        _thread.Start();
    }

    /// <summary>Set once setns was refused (no CAP_SYS_ADMIN): no later call tries again.</summary>
    public string? Refused { get; private set; }

    /// <summary>Runs <paramref name="work"/> inside the namespace <paramref name="namespacePath"/>
    /// names (<c>/proc/&lt;pid&gt;/ns/net</c> or a pin under <c>/run/netns</c>) and returns its result.</summary>
    /// <exception cref="NamespaceUnreachableException">The namespace is gone, or setns was refused.</exception>
    public T Run<T>(string namespacePath, Func<T> work)
    {
        if (Refused is not null) throw new NamespaceUnreachableException(Refused, refused: true);
        T result = default!;
        Exception? failure = null;
        using var done = new ManualResetEventSlim();
        _work.Add(() =>
        {
            try
            {
                result = Enter(namespacePath, work);
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                done.Set();
            }
        });
        done.Wait();
        if (failure is not null)
        {
            if (failure is NamespaceUnreachableException) throw failure;
            throw new InvalidOperationException($"work in network namespace {namespacePath} failed: {failure.Message}", failure);
        }
        return result;
    }

    private T Enter<T>(string namespacePath, Func<T> work)
    {
        SafeFileHandle target;
        try
        {
            target = File.OpenHandle(namespacePath, FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The last process exited, or the pin was removed: a clean miss, not an error.
            throw new NamespaceUnreachableException($"{namespacePath}: {e.Message}", refused: false);
        }
        using (target)
        {
            if (Interop.Setns((int)target.DangerousGetHandle(), Interop.CLONE_NEWNET) != 0)
            {
                var errno = (Interop.Errno)Marshal.GetLastPInvokeError();
                if (errno is Interop.Errno.EPERM)
                {
                    Refused = "setns(CLONE_NEWNET) refused (EPERM): reading other namespaces through netlink needs CAP_SYS_ADMIN; " +
                        "they are read from /proc/<pid>/net instead";
                    throw new NamespaceUnreachableException(Refused, refused: true);
                }
                throw new NamespaceUnreachableException($"setns({namespacePath}) failed: {errno}", refused: false);
            }
        }
        try
        {
            return work();
        }
        finally
        {
            // Back home, or this thread must never run anything again: it would read the wrong
            // namespace as if it were the next one asked for.
            if (Interop.Setns((int)_home.DangerousGetHandle(), Interop.CLONE_NEWNET) != 0)
            {
                Refused = $"could not return to the home network namespace ({(Interop.Errno)Marshal.GetLastPInvokeError()}); netlink in other namespaces is off";
                _work.CompleteAdding();
            }
        }
    }

    private void Loop()
    {
        foreach (var item in _work.GetConsumingEnumerable()) item();
    }

    public void Dispose()
    {
        if (!_work.IsAddingCompleted) _work.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(5));
        _home.Dispose();
        _work.Dispose();
    }
}

/// <summary>A namespace could not be entered: gone (a clean miss) or refused (no CAP_SYS_ADMIN).</summary>
internal sealed class NamespaceUnreachableException : Exception
{
    public NamespaceUnreachableException(string message, bool refused) : base(message) => IsRefusal = refused;

    public NamespaceUnreachableException() { }
    public NamespaceUnreachableException(string message) : base(message) { }
    public NamespaceUnreachableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>setns was not allowed at all, as opposed to this one namespace being gone.</summary>
    public bool IsRefusal { get; }
}
