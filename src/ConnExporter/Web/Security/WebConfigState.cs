namespace ConnExporter.Web.Security;

/// <summary>One loaded generation of the web config: the parsed file, its TLS material when TLS
/// is on, and the fingerprint of the files it was built from.</summary>
internal sealed record WebConfigState(WebConfig Config, TlsMaterial? Tls, string Fingerprint)
{
    /// <summary>Parses the file and loads the files it names; throws <see cref="WebConfigException"/>.</summary>
    public static WebConfigState Load(string path)
    {
        // Fingerprint first: a file changed while loading is then seen as changed once more.
        string fingerprint = WebConfigFiles.Fingerprint(path);
        var config = WebConfig.Load(path);
        var tls = config.Tls.IsEnabled ? TlsMaterial.Load(config.Tls, path) : null;
        return new WebConfigState(config, tls, fingerprint);
    }
}
