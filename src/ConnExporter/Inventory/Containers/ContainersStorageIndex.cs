using System.Text.Json;

namespace ConnExporter.Inventory.Containers;

/// <summary>
/// Container names of podman (and CRI-O, Buildah) from containers/storage's index,
/// <c>/var/lib/containers/storage/overlay-containers/containers.json</c>: an array of
/// <c>{"id": …, "names": ["web"], …}</c>. Re-read only when the file changes.
/// </summary>
internal sealed class ContainersStorageIndex
{
    private readonly string _path;
    private DateTime _readAt = DateTime.MinValue;
    private long _length = -1;
    private Dictionary<string, string> _names = new(StringComparer.Ordinal);

    public ContainersStorageIndex(string path) => _path = path;

    public string? NameOf(string id)
    {
        Refresh();
        return _names.GetValueOrDefault(id);
    }

    private void Refresh()
    {
        FileInfo info;
        try
        {
            info = new FileInfo(_path);
            if (!info.Exists)
            {
                _names.Clear();
                return;
            }
            if (info.LastWriteTimeUtc == _readAt && info.Length == _length) return;
            _names = Parse(File.ReadAllBytes(_path));
            _readAt = info.LastWriteTimeUtc;
            _length = info.Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable: keep what was read before.
        }
    }

    internal static Dictionary<string, string> Parse(ReadOnlySpan<byte> json)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) return names;
            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                string? id = null, name = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool isId = reader.ValueTextEquals("id"u8);
                    bool isNames = reader.ValueTextEquals("names"u8);
                    reader.Read();
                    if (isId && reader.TokenType == JsonTokenType.String) id = reader.GetString();
                    else if (isNames && reader.TokenType == JsonTokenType.StartArray)
                    {
                        while (reader.Read() && reader.TokenType == JsonTokenType.String)
                            name ??= reader.GetString();
                    }
                    else reader.Skip();
                }
                if (id is not null && !string.IsNullOrEmpty(name)) names[id] = name;
            }
        }
        catch (JsonException)
        {
            // Cut short while being rewritten: what was parsed so far is kept.
        }
        return names;
    }
}
