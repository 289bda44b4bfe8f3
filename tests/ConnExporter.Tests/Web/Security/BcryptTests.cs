using System.Text;
using ConnExporter.Web.Security;

namespace ConnExporter.Tests.Web.Security;

public sealed class BcryptTests
{
    // Written by other implementations: crypt_blowfish's test vector, Go's bcrypt (exporter-
    // toolkit's decoy hash of "fakepassword"), and Python's crypt for $2b$/$2y$/$2a$ at cost 4.
    public const string S3cret2b = "$2b$04$/nY/asEIxrn9xgflJFvFj.eVZKo5j/Y6G4JhBB6aA52Po/5Jdwe2m";
    public const string S3cret2y = "$2y$04$2U46Xgbh33y58zwa.v15/Oz9GpEspF8F7wp1/UR0k.qcsmzckB7ny";
    public const string Hunter2a = "$2a$04$v8ov2.cKnq1v0S.gFC/XpOBDNzCdsFnPfO5brr1i/OQ9Iq2pDnCau";
    public const string PromPass = "$2b$04$vH6T0G46Gw2FAy.hKUPZR.3HEvnLI3/k2qFtdlWFsjc5dh7JRoOHK";

    [Theory]
    [InlineData("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")]
    [InlineData("fakepassword", "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi")]
    [InlineData("s3cret", S3cret2b)]
    [InlineData("s3cret", S3cret2y)]
    [InlineData("hunter2", Hunter2a)]
    public void KnownHashesVerify(string password, string hash)
    {
        Assert.True(Bcrypt.IsHash(hash));
        Assert.True(Bcrypt.Verify(Encoding.UTF8.GetBytes(password), hash));
        Assert.False(Bcrypt.Verify(Encoding.UTF8.GetBytes(password + "x"), hash));
        Assert.False(Bcrypt.Verify([], hash));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("$1$abc$defghijklmnopqrstuvwxyz")]
    [InlineData("$2b$03$/nY/asEIxrn9xgflJFvFj.eVZKo5j/Y6G4JhBB6aA52Po/5Jdwe2m")]  // cost below 4
    [InlineData("$2b$32$/nY/asEIxrn9xgflJFvFj.eVZKo5j/Y6G4JhBB6aA52Po/5Jdwe2m")]  // cost above 31
    [InlineData("$2x$04$/nY/asEIxrn9xgflJFvFj.eVZKo5j/Y6G4JhBB6aA52Po/5Jdwe2m")]  // unsupported variant
    [InlineData("$2b$04$/nY/asEIxrn9xgflJFvFj.eVZKo5j/Y6G4JhBB6aA52Po/5Jdwe2")]   // short
    [InlineData("$2b$04$/nY/asEIxrn9xgflJFvFj.eVZKo5j/Y6G4JhBB6aA52Po/5Jdwe2!")]  // bad alphabet
    public void MalformedHashesAreRejectedWithoutCallingCrypt(string hash)
    {
        Assert.False(Bcrypt.IsHash(hash));
        Assert.False(Bcrypt.Verify("s3cret"u8, hash));
    }

    [Fact]
    public void NulInPasswordNeverMatchesItsPrefix()
    {
        // crypt(3) takes C strings: "s3cret\0junk" must not pass as "s3cret".
        Assert.False(Bcrypt.Verify("s3cret\0junk"u8, S3cret2b));
    }

    [Fact]
    public void OnlyFirst72BytesCount()
    {
        // bcrypt's definition; Go's CompareHashAndPassword behaves the same way.
        var longPassword = new string('a', 72);
        var hash = CryptWithSalt(longPassword);
        Assert.True(Bcrypt.Verify(Encoding.ASCII.GetBytes(longPassword + "ignored"), hash));
        Assert.False(Bcrypt.Verify(Encoding.ASCII.GetBytes(new string('a', 71)), hash));
    }

    private static unsafe string CryptWithSalt(string password)
    {
        // Hash with libcrypt itself (cost 4, fixed salt) through the same entry point.
        const string setting = "$2b$04$abcdefghijklmnopqrstuu";
        var data = new byte[Interop.Libcrypt.CryptDataSize];
        var phrase = Encoding.ASCII.GetBytes(password + "\0");
        var settingBytes = Encoding.ASCII.GetBytes(setting + "\0");
        fixed (byte* p = phrase)
        fixed (byte* s = settingBytes)
        fixed (byte* d = data)
        {
            byte* result = Interop.Libcrypt.CryptRn(p, s, d, data.Length);
            Assert.True(result != null);
            return new string((sbyte*)result);
        }
    }

    [Fact]
    public async Task CacheRunsBcryptOncePerDistinctCredential()
    {
        var auth = new BasicAuthentication();
        var users = new Dictionary<string, string> { ["alice"] = S3cret2b };
        string good = Header("alice", "s3cret"), bad = Header("alice", "wrong"), ghost = Header("ghost", "s3cret");
        for (int i = 0; i < 5; i++)
        {
            Assert.True(await auth.IsAuthorizedAsync(users, good, default));
            Assert.False(await auth.IsAuthorizedAsync(users, bad, default));
            Assert.False(await auth.IsAuthorizedAsync(users, ghost, default));
        }
        Assert.Equal(3, auth.BcryptRuns);
        // A changed hash for the same user is a new credential: checked again, and now it fails.
        var changed = new Dictionary<string, string> { ["alice"] = Hunter2a };
        Assert.False(await auth.IsAuthorizedAsync(changed, good, default));
        Assert.Equal(4, auth.BcryptRuns);
    }

    [Fact]
    public async Task GuessesBeyondTheCacheNeverEvictTheAcceptedCredential()
    {
        var auth = new BasicAuthentication();
        var users = new Dictionary<string, string> { ["alice"] = S3cret2b };
        Assert.True(await auth.IsAuthorizedAsync(users, Header("alice", "s3cret"), default));
        // More distinct wrong passwords than the refused cache holds: it is emptied at least once.
        int guesses = BasicAuthentication.MaxCachedCredentials + 10;
        for (int i = 0; i < guesses; i++)
            Assert.False(await auth.IsAuthorizedAsync(users, Header("alice", $"guess-{i}"), default));
        Assert.Equal(1 + guesses, auth.BcryptRuns);
        Assert.True(await auth.IsAuthorizedAsync(users, Header("alice", "s3cret"), default));
        Assert.Equal(1 + guesses, auth.BcryptRuns);
        // The last guesses are still cached; the first ones were emptied with the full cache.
        Assert.False(await auth.IsAuthorizedAsync(users, Header("alice", $"guess-{guesses - 1}"), default));
        Assert.Equal(1 + guesses, auth.BcryptRuns);
        Assert.False(await auth.IsAuthorizedAsync(users, Header("alice", "guess-0"), default));
        Assert.Equal(2 + guesses, auth.BcryptRuns);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer abc")]
    [InlineData("Basic")]
    [InlineData("Basic !!!notbase64")]
    [InlineData("Basic YWxpY2U=")]          // "alice": no colon
    [InlineData("Basic /w==")]              // invalid UTF-8 user, no colon
    [InlineData("Basic /zpzM2NyZXQ=")]      // "\xff:s3cret": invalid UTF-8 user
    public void MalformedAuthorizationIsRefused(string? header)
    {
        Assert.False(BasicAuthentication.TryDecode(header, out _, out _));
    }

    [Fact]
    public void AuthorizationDecodesLikeGo()
    {
        Assert.True(BasicAuthentication.TryDecode("basic " + Convert.ToBase64String("a:b:c"u8), out var user, out var password));
        Assert.Equal("a", user);
        Assert.Equal("b:c"u8.ToArray(), password);
    }

    public static string Header(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
}
