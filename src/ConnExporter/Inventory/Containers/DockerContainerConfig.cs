using System.Text.Json;

namespace ConnExporter.Inventory.Containers;

/// <summary>
/// The container name Docker keeps in <c>/var/lib/docker/containers/&lt;id&gt;/config.v2.json</c>
/// (moby's container.Container, top-level <c>"Name": "/web"</c>). Read once per container: a file
/// of a few KiB, scanned with a reader, not deserialised.
/// </summary>
internal static class DockerContainerConfig
{
    public static string? ReadName(string containersDirectory, string id)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(Path.Combine(containersDirectory, id, "config.v2.json"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // not a Docker container, or not readable by us
        }
        return ParseName(bytes);
    }

    internal static string? ParseName(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject) return null;
                if (reader.TokenType != JsonTokenType.PropertyName) return null;
                bool isName = reader.ValueTextEquals("Name"u8);
                if (!reader.Read()) return null;
                if (isName && reader.TokenType == JsonTokenType.String)
                {
                    var name = reader.GetString();
                    return string.IsNullOrEmpty(name) ? null : name.TrimStart('/');
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // A half-written file (the daemon replaces it atomically, but a copy may be cut).
        }
        return null;
    }
}
