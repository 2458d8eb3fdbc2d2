using System.Text;

namespace SecretChat.Security.Tests.Handshakes;

public sealed class HandshakePayloadNameTests
{
    private static byte[] NameField(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        return [HandshakePayload.DisplayNameField, (byte)(bytes.Length >> 8), (byte)bytes.Length, .. bytes];
    }

    [Theory]
    [InlineData("alice\u200B", "The peer's name 'alice<U+200B>' is not allowed: it holds an invisible formatting character U+200B.")]
    [InlineData("\u001B]0;owned\u0007", "The peer's name '<U+001B>]0;owned<U+0007>' is not allowed: it holds a control character U+001B.")]
    [InlineData("bob\u202E", "The peer's name 'bob<U+202E>' is not allowed: it holds a bidirectional text control U+202E.")]
    [InlineData(" alice", "The peer's name ' alice' is not allowed: it begins or ends with white space.")]
    public void Decode_NameNotAllowed_FailsTheHandshakeWithOneSentence(string name, string message)
    {
        var e = Assert.Throws<HandshakeException>(() => HandshakePayload.Decode(NameField(name), out _, out _));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Decode_EmptyName_IsNoNameGiven()
    {
        HandshakePayload.Decode(HandshakePayload.Encode(default, HandshakeGreeting.Empty), out _, out var greeting);
        Assert.Equal("", greeting!.DisplayName);
    }

    [Fact]
    public void Decode_CompatibilityForm_IsNormalized()
    {
        HandshakePayload.Decode(NameField("ａｌｉｃｅ"), out _, out var greeting);
        Assert.Equal("alice", greeting!.DisplayName);
    }

    [Fact]
    public void Greeting_OwnNameNotAllowed_RefusedBeforeAnythingIsSent()
    {
        var e = Assert.Throws<ArgumentException>(() => new HandshakeGreeting("alice\u200B", []));
        Assert.Equal("displayName", e.ParamName);
        Assert.StartsWith("The name 'alice<U+200B>' is not allowed: it holds an invisible formatting character U+200B.", e.Message);
        Assert.Equal("alice", new HandshakeGreeting("ａｌｉｃｅ", []).DisplayName);
        Assert.Equal("", HandshakeGreeting.Empty.DisplayName);
    }
}
