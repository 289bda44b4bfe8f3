using System.Security.Cryptography;
using System.Text;

namespace ConnExporter.Web.Security;

/// <summary>
/// What changed on disk: a hash of the config file and of every file it names (certificate,
/// key, client CAs). Hashing content rather than comparing mtimes catches the atomic renames
/// and symlink swaps that certificate tools (and Kubernetes secrets) use, whatever the mtime.
/// The files are small and read at most once per check interval.
/// </summary>
internal static class WebConfigFiles
{
    public static string Fingerprint(string configPath)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Add(hash, configPath);
        // The named files come from the config as it is now; if it does not parse, its own
        // bytes are enough to tell that it changed.
        try
        {
            var tls = WebConfig.Load(configPath).Tls;
            foreach (var file in new[] { tls.CertFile, tls.KeyFile, tls.ClientCaFile })
                if (file.Length > 0) Add(hash, file);
        }
        catch (WebConfigException)
        {
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static void Add(IncrementalHash hash, string path)
    {
        hash.AppendData(Encoding.UTF8.GetBytes(path));
        hash.AppendData([0]);
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length <= WebConfig.MaxFileBytes) hash.AppendData(File.ReadAllBytes(path));
            else hash.AppendData(Encoding.ASCII.GetBytes(info.Exists ? $"<{info.Length} bytes>" : "<missing>"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"<{e.GetType().Name}>"));
        }
        hash.AppendData([0]);
    }
}
