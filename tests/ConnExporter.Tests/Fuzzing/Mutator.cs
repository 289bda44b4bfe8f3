namespace ConnExporter.Tests.Fuzzing;

/// <summary>
/// Byte-level mutations in the style of AFL's havoc stage: flips, interesting values, inserted
/// and deleted runs, duplicated and spliced chunks, truncation, plus wholly random inputs.
/// Deterministic for a seed.
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x7F, 0x80, 0xFF, (byte)'\n', (byte)' ', (byte)':', (byte)'0', (byte)'F', (byte)'-', (byte)'#', (byte)'"', (byte)'\'', (byte)'[', (byte)'{', (byte)'&', (byte)'*', (byte)'!', (byte)'|', (byte)'>', (byte)'\t', 0xC3, 0xE2];

    public Random Random { get; } = new(seed);

    public byte[] RandomBytes(int maxLength)
    {
        var bytes = new byte[Random.Next(maxLength + 1)];
        Random.NextBytes(bytes);
        return bytes;
    }

    public byte[] Mutate(ReadOnlySpan<byte> input, byte[]? other = null)
    {
        var data = new List<byte>(input.ToArray());
        int rounds = 1 + Random.Next(8);
        for (int r = 0; r < rounds; r++)
        {
            int at = data.Count == 0 ? 0 : Random.Next(data.Count);
            switch (Random.Next(10))
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << Random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[at] = Interesting[Random.Next(Interesting.Length)];
                    break;
                case 2:
                    data.Insert(at, Interesting[Random.Next(Interesting.Length)]);
                    break;
                case 3 when data.Count > 0:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + Random.Next(16)));
                    break;
                case 4 when data.Count > 0:
                {
                    int length = Math.Min(data.Count - at, 1 + Random.Next(64));
                    data.InsertRange(Random.Next(data.Count + 1), data.GetRange(at, length));
                    break;
                }
                case 5:
                    data.RemoveRange(Math.Min(at, data.Count), data.Count - Math.Min(at, data.Count));
                    break;
                case 6 when other is { Length: > 0 }:
                {
                    int from = Random.Next(other.Length);
                    data.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + Random.Next(128))).ToArray());
                    break;
                }
                case 7 when data.Count >= 4:
                {
                    // A 16- or 32-bit field set to an edge value (lengths, counts, offsets).
                    int pos = Random.Next(data.Count - 3);
                    uint value = Random.Next(4) switch { 0 => 0, 1 => 0xFFFF, 2 => 0xFFFFFFFF, _ => (uint)Random.Next(0, 512) };
                    data[pos] = (byte)value;
                    data[pos + 1] = (byte)(value >> 8);
                    if (Random.Next(2) == 0)
                    {
                        data[pos + 2] = (byte)(value >> 16);
                        data[pos + 3] = (byte)(value >> 24);
                    }
                    break;
                }
                case 8:
                {
                    var junk = RandomBytes(32);
                    data.InsertRange(at, junk);
                    break;
                }
                default:
                    if (data.Count > 0) data[at] = (byte)Random.Next(256);
                    break;
            }
        }
        return [.. data];
    }
}
