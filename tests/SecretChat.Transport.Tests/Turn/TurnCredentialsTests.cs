using SecretChat.Transport.Stun;
using SecretChat.Transport.Turn;

namespace SecretChat.Transport.Tests.Turn;

public class TurnCredentialsTests
{
    private static readonly DateTimeOffset Expiry = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void FromSharedSecret_KnownSecret_MakesCoturnsRestUsernameAndPassword()
    {
        // Expected values from Python's hmac/hashlib: base64(HMAC-SHA1(b"north-wind-secret", b"1700000000:alice")).
        var credentials = TurnCredentials.FromSharedSecret("north-wind-secret", "alice", Expiry);

        Assert.Equal("1700000000:alice", credentials.Username);
        Assert.Equal("r/l6ttQtMIfbS2lfULS0mDRRNUg=", credentials.Password);
        Assert.Equal(Expiry, credentials.ExpiresAt);
    }

    [Fact]
    public void FromSharedSecret_SubSecondExpiry_RoundedDownToTheSecondTheUsernameSays()
    {
        var credentials = TurnCredentials.FromSharedSecret("s", "bob", Expiry.AddMilliseconds(999));

        Assert.Equal("1700000000:bob", credentials.Username);
        Assert.Equal(Expiry, credentials.ExpiresAt);
    }

    [Fact]
    public void LongTermKey_KnownCredentials_IsMd5OfUsernameRealmPassword()
    {
        var credentials = TurnCredentials.FromSharedSecret("north-wind-secret", "alice", Expiry);

        Assert.Equal("82312dcefaab37e82d8f91c4ea04194e", Convert.ToHexStringLower(credentials.LongTermKey("secretchat.test")));
        Assert.Equal(StunCredentials.LongTermKey(credentials.Username, "secretchat.test", credentials.Password), credentials.LongTermKey("secretchat.test"));
        Assert.Equal(32, credentials.LongTermKeySha256("secretchat.test").Length);
    }

    [Fact]
    public void ToString_NeverShowsThePassword()
    {
        var credentials = new TurnCredentials("alice", "hunter2");

        Assert.DoesNotContain("hunter2", credentials.ToString(), StringComparison.Ordinal);
        Assert.Contains("alice", credentials.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void FromSharedSecret_SecretAsBytes_GivesTheSameCredentialsAsItsText()
    {
        var fromText = TurnCredentials.FromSharedSecret("s3cret", "a", Expiry);
        var fromBytes = TurnCredentials.FromSharedSecret("s3cret"u8, "a", Expiry);

        Assert.Equal(fromText.Username, fromBytes.Username);
        Assert.Equal(fromText.Password, fromBytes.Password);
        Assert.Equal("secret", Assert.Throws<ArgumentException>(() => TurnCredentials.FromSharedSecret(ReadOnlySpan<byte>.Empty, "a", Expiry)).ParamName);
    }

    [Fact]
    public void FromSharedSecret_ArgumentChecking()
    {
        Assert.Equal("secret", Assert.Throws<ArgumentNullException>(() => TurnCredentials.FromSharedSecret((string)null!, "a", Expiry)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => TurnCredentials.FromSharedSecret("s", null!, Expiry)).ParamName);
        Assert.Equal("secret", Assert.Throws<ArgumentException>(() => TurnCredentials.FromSharedSecret("", "a", Expiry)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => TurnCredentials.FromSharedSecret("s", "a:b", Expiry)).ParamName);
        Assert.Equal("username", Assert.Throws<ArgumentException>(() => new TurnCredentials("", "p")).ParamName);
        Assert.Equal("username", Assert.Throws<ArgumentException>(() => new TurnCredentials(new string('x', 509), "p")).ParamName);
        Assert.Equal("password", Assert.Throws<ArgumentNullException>(() => new TurnCredentials("u", null!)).ParamName);
    }
}
