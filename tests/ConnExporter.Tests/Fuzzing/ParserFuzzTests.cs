using System.Text;
using ConnExporter.Inventory;
using ConnExporter.Kernel.Netlink;
using ConnExporter.Kernel.ProcFs;
using ConnExporter.Tests.Infrastructure;
using ConnExporter.Tests.Kernel.Netlink;
using ConnExporter.Tests.Web.Security;
using ConnExporter.Web.Security;

namespace ConnExporter.Tests.Fuzzing;

/// <summary>
/// Random and mutated input for the parsers that read what others write: /proc/net tables,
/// sock_diag replies and the web config. Nothing may throw (the config loader only its
/// <see cref="WebConfigException"/>), and a bad row or message never loses the good ones
/// before it. <c>FUZZ_ITERATIONS</c> inputs per target; scripts/fuzz.sh runs a million.
/// </summary>
public sealed class ParserFuzzTests
{
    private static readonly (string File, SocketProtocol Protocol, IpFamily Family)[] Tables =
    [
        ("tcp", SocketProtocol.Tcp, IpFamily.IPv4), ("tcp6", SocketProtocol.Tcp, IpFamily.IPv6),
        ("udp", SocketProtocol.Udp, IpFamily.IPv4), ("udp6", SocketProtocol.Udp, IpFamily.IPv6),
    ];

    [Fact]
    public void ProcNetTable_NeverThrows()
    {
        var seeds = Tables.Select(t => File.ReadAllBytes(TestEnvironment.Fixture("procfs", "netns", t.File))).ToArray();
        var mutator = new Mutator(FuzzSettings.Seed);
        var sink = new List<SocketRecord>();
        int parsedRows = 0;
        for (int i = 0; i < FuzzSettings.Iterations; i++)
        {
            int which = mutator.Random.Next(Tables.Length);
            var input = i % 16 == 0 ? mutator.RandomBytes(600) : mutator.Mutate(seeds[which], seeds[mutator.Random.Next(seeds.Length)]);
            var (_, protocol, family) = Tables[mutator.Random.Next(Tables.Length)];
            sink.Clear();
            SourceReadResult result;
            try
            {
                result = ProcNetSocketTable.Parse(input, protocol, family, sink);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"iteration {i} (seed {FuzzSettings.Seed}): {Convert.ToBase64String(input)}", e);
            }
            int lines = input.AsSpan().Count((byte)'\n') + 1;
            Assert.True(sink.Count + result.Malformed <= lines, $"iteration {i}: more results than lines");
            Assert.True(result.Malformed == 0 || result.FirstProblem is not null, $"iteration {i}: malformed without a problem");
            Assert.All(sink, r => Assert.Equal(protocol, r.Protocol));
            parsedRows += sink.Count;
        }
        // The mutations must leave many rows parseable, or the test fuzzes only the error path.
        Assert.True(parsedRows > FuzzSettings.Iterations, $"only {parsedRows} rows parsed");
    }

    [Fact]
    public void ProcNetTable_OneBadRowLosesOnlyItself()
    {
        var mutator = new Mutator(FuzzSettings.Seed + 1);
        var originals = Tables.Select(t =>
        {
            var bytes = File.ReadAllBytes(TestEnvironment.Fixture("procfs", "netns", t.File));
            var records = new List<SocketRecord>();
            Assert.Equal(0, ProcNetSocketTable.Parse(bytes, t.Protocol, t.Family, records).Malformed);
            return (Lines: Encoding.Latin1.GetString(bytes).Split('\n'), Records: records);
        }).ToArray();

        for (int i = 0; i < FuzzSettings.Iterations / 4; i++)
        {
            int which = mutator.Random.Next(Tables.Length);
            var (lines, records) = originals[which];
            if (records.Count < 2) continue;
            int row = 1 + mutator.Random.Next(records.Count); // line 0 is the header
            var bad = mutator.Mutate(Encoding.Latin1.GetBytes(lines[row]));
            var edited = lines.ToArray();
            edited[row] = Encoding.Latin1.GetString(bad);
            var sink = new List<SocketRecord>();
            ProcNetSocketTable.Parse(Encoding.Latin1.GetBytes(string.Join('\n', edited)), Tables[which].Protocol, Tables[which].Family, sink);
            for (int j = 0; j < records.Count; j++)
            {
                if (j == row - 1) continue;
                Assert.True(sink.Contains(records[j]), $"iteration {i}: row {j + 1} lost after damaging row {row}");
            }
        }
    }

    private const uint Sequence = 99;

    private static byte[] ValidDumpBatch(out int messages, bool done)
    {
        var info = SockDiagBatchBuilder.TcpInfo(232, 1448, 2, 3000, 1500, 7, 123456, 654321);
        var builder = new SockDiagBatchBuilder()
            .InetDiag(Sequence, new InetDiagFields(2, 10, "0.0.0.0", 22, "0.0.0.0", 0, Inode: 1000), (2, info))
            .InetDiag(Sequence, new InetDiagFields(2, 1, "10.0.0.1", 22, "10.0.0.2", 50000, Inode: 1001, Cookie: 77), (2, info), (5, [1, 2, 3]))
            .InetDiag(Sequence, new InetDiagFields(10, 1, "fd00::1", 443, "fd00::2", 40000, Inode: 1002, Uid: 1000), (2, info[..104]))
            .InetDiag(Sequence, new InetDiagFields(10, 6, "::1", 8080, "::1", 40001))
            .InetDiag(Sequence + 1, new InetDiagFields(2, 1, "1.1.1.1", 1, "2.2.2.2", 2, Inode: 5));
        messages = 4;
        if (done) builder.Done(Sequence);
        return builder.ToArray();
    }

    [Fact]
    public void Netlink_NeverThrows()
    {
        var seed = ValidDumpBatch(out _, done: true);
        var mutator = new Mutator(FuzzSettings.Seed + 2);
        var sink = new List<SocketRecord>();
        var tcp = new List<TcpHealth?>();
        int parsed = 0;
        for (int i = 0; i < FuzzSettings.Iterations; i++)
        {
            var input = i % 16 == 0 ? mutator.RandomBytes(400) : mutator.Mutate(seed, seed);
            sink.Clear();
            tcp.Clear();
            try
            {
                var dump = new InetDiagDump(mutator.Random.Next(2) == 0 ? SocketProtocol.Tcp : SocketProtocol.Udp, Sequence);
                dump.Add(input, truncated: mutator.Random.Next(8) == 0, sink, tcp);
                Assert.True(sink.Count == tcp.Count, $"iteration {i}: {tcp.Count} tcp_info entries for {sink.Count} records");
                Assert.True(dump.Malformed == 0 || dump.FirstProblem is not null, $"iteration {i}: malformed without a problem");
                // dump.Error is not checked for sign: NLMSG_ERROR passes a forged positive
                // value through (NLMSG_DONE clamps it); the kernel itself never sends one.

                var reader = new NetlinkMessageReader(input);
                int messages = 0;
                while (reader.MoveNext())
                {
                    messages++;
                    Assert.True(reader.Payload.Length <= input.Length, $"iteration {i}: payload beyond the batch");
                    InetDiagMessage.TryParse(reader.Payload, out _, out _);
                }
                Assert.True(sink.Count <= messages, $"iteration {i}: more records than messages");

                InetDiagMessage.TryParse(input, out _, out _);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new InvalidOperationException($"iteration {i} (seed {FuzzSettings.Seed}): {Convert.ToBase64String(input)}", e);
            }
            parsed += sink.Count;
        }
        Assert.True(parsed > FuzzSettings.Iterations / 2, $"only {parsed} records parsed");
    }

    [Fact]
    public void Netlink_GarbageAfterGoodMessagesKeepsThem()
    {
        var good = ValidDumpBatch(out int count, done: false);
        var expected = new List<SocketRecord>();
        new InetDiagDump(SocketProtocol.Tcp, Sequence).Add(good, false, expected);
        Assert.Equal(count, expected.Count);
        var mutator = new Mutator(FuzzSettings.Seed + 3);
        for (int i = 0; i < FuzzSettings.Iterations / 4; i++)
        {
            byte[] tail = i % 2 == 0 ? mutator.RandomBytes(200) : mutator.Mutate(good.AsSpan(0, Math.Min(good.Length, 1 + mutator.Random.Next(good.Length))));
            var sink = new List<SocketRecord>();
            new InetDiagDump(SocketProtocol.Tcp, Sequence).Add([.. good, .. tail], truncated: mutator.Random.Next(2) == 0, sink);
            Assert.True(sink.Count >= count, $"iteration {i}: {sink.Count} of {count} good records kept");
            Assert.Equal(expected, sink.Take(count));
        }
    }

    private static readonly string ValidWebConfig = $"""
        tls_server_config:
          cert_file: server.pem
          key_file: server.key
          client_auth_type: RequireAndVerifyClientCert
          client_ca_file: ca.pem
          client_allowed_sans: [a.example, "10.0.0.1"]
          min_version: TLS12
          max_version: TLS13
          cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
          curve_preferences: [X25519]
          prefer_server_cipher_suites: true
        http_server_config:
          http2: false
          headers:
            X-Frame-Options: deny
        rate_limit: {"{"}burst: 5, interval: 1s{"}"}
        basic_auth_users:
          alice: '{BcryptTests.S3cret2b}'
          &anchor bob: *anchor
        """;

    [Fact]
    public void WebConfig_OnlyThrowsWebConfigException()
    {
        var seed = Encoding.UTF8.GetBytes(ValidWebConfig);
        var dictionary = Encoding.UTF8.GetBytes("--- ... !!str !!map !!binary ? : - [ ] { } & * | > % @ ` # \\u0000 ~ null yes 0x1F 1e400 <<: \t\r\n");
        var mutator = new Mutator(FuzzSettings.Seed + 4);
        int accepted = 0;
        for (int i = 0; i < FuzzSettings.Iterations; i++)
        {
            var bytes = i % 16 == 0 ? mutator.RandomBytes(300) : mutator.Mutate(seed, dictionary);
            var text = Encoding.UTF8.GetString(bytes);
            try
            {
                WebConfig.Parse(text, "/fuzz/web.yml");
                accepted++;
            }
            catch (WebConfigException e)
            {
                Assert.StartsWith("web config /fuzz/web.yml: ", e.Message, StringComparison.Ordinal);
                Assert.DoesNotContain('\n', e.Message);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"iteration {i} (seed {FuzzSettings.Seed}): {Convert.ToBase64String(bytes)}", e);
            }
        }
        Assert.True(accepted > 0, "no mutated config was accepted: the fuzzer only tests the YAML error path");
    }
}
