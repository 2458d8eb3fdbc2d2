namespace SecretChat.Security.Tests.Handshakes;

public sealed class ProtocolHelloTests
{
    private static SecurityModuleInfo BuiltInModuleNamed(string id) =>
        BuiltInModules.TryFind(id, out var module) ? module : throw new ArgumentException($"No built-in module '{id}'.", nameof(id));

    [Fact]
    public void Write_NoiseInitiator_IsMagicVersionModeRole()
    {
        var hello = new ProtocolHello(ProtocolHello.CurrentVersion, BuiltInModules.Noise.Id, HandshakeRole.Initiator);

        Assert.Equal(Convert.FromHexString("5343485401" + "02" + "01"), hello.ToArray());
        Assert.Equal(ProtocolHello.Size, hello.ToArray().Length);
    }

    [Theory]
    [InlineData("pseudo", HandshakeRole.Initiator)]
    [InlineData("rsa", HandshakeRole.Responder)]
    [InlineData("noise", HandshakeRole.Responder)]
    public void Parse_ValidHello_RoundTrips(string modeId, HandshakeRole role)
    {
        var mode = BuiltInModuleNamed(modeId);
        var hello = new ProtocolHello(ProtocolHello.CurrentVersion, mode.Id, role);

        Assert.Equal(hello, ProtocolHello.Parse(hello.ToArray()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("53")]
    [InlineData("534348540102")]       // truncated: the role is missing
    [InlineData("53434854010201ff")]   // one byte too many
    [InlineData("53434855010201")]     // wrong magic
    [InlineData("00000000010201")]
    public void Parse_NotAHello_ThrowsNotSecretChat(string hex)
    {
        var e = Assert.Throws<HandshakeException>(() => ProtocolHello.Parse(Convert.FromHexString(hex)));

        Assert.Equal("The peer does not speak the SecretChat protocol.", e.Message);
    }

    [Fact]
    public void EnsureCompatibleWith_UnknownVersion_ParsesThenRefusedNamingBothVersions()
    {
        var local = new ProtocolHello(1, BuiltInModules.Noise.Id, HandshakeRole.Initiator);
        var peer = ProtocolHello.Parse(Convert.FromHexString("53434854" + "07" + "02" + "02"));

        var e = Assert.Throws<HandshakeException>(() => local.EnsureCompatibleWith(peer));

        Assert.Equal("The peer speaks SecretChat protocol version 7; this side speaks version 1.", e.Message);
    }

    [Fact]
    public void EnsureCompatibleWith_UnknownMode_RefusedNamingBothModes()
    {
        var local = new ProtocolHello(1, BuiltInModules.Noise.Id, HandshakeRole.Responder);
        var peer = ProtocolHello.Parse(Convert.FromHexString("53434854" + "01" + "09" + "01"));

        var e = Assert.Throws<HandshakeException>(() => local.EnsureCompatibleWith(peer));

        Assert.Equal("The peer uses unknown(9) encryption but this side uses noise; both sides must choose the same security module.", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(255)]
    public void EnsureCompatibleWith_UnknownRole_Refused(byte role)
    {
        foreach (var localRole in new[] { HandshakeRole.Initiator, HandshakeRole.Responder })
        {
            var local = new ProtocolHello(1, BuiltInModules.Rsa.Id, localRole);
            var peer = ProtocolHello.Parse([0x53, 0x43, 0x48, 0x54, 1, 1, role]);

            var e = Assert.Throws<HandshakeException>(() => local.EnsureCompatibleWith(peer));

            Assert.Equal($"The peer's hello names no known handshake role ({role}); it is not a SecretChat peer of this version.", e.Message);
        }
    }

    [Theory]
    [InlineData(HandshakeRole.Initiator, "Both sides tried to start the handshake (both are initiators).")]
    [InlineData(HandshakeRole.Responder, "Both sides waited for the other to start the handshake (both are responders).")]
    public void EnsureCompatibleWith_SameRole_Refused(HandshakeRole role, string message)
    {
        var local = new ProtocolHello(1, BuiltInModules.Noise.Id, role);

        var e = Assert.Throws<HandshakeException>(() => local.EnsureCompatibleWith(local));

        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Prologue_EitherSide_IsLabelThenInitiatorHelloThenResponderHello()
    {
        var initiator = new ProtocolHello(1, BuiltInModules.Noise.Id, HandshakeRole.Initiator);
        var responder = new ProtocolHello(1, BuiltInModules.Noise.Id, HandshakeRole.Responder);
        var expected = Convert.FromHexString(
            Convert.ToHexString("SecretChat prologue v1"u8) + "53434854" + "010201" + "53434854" + "010202");

        Assert.Equal(expected, ProtocolHello.Prologue(initiator, responder));
        Assert.Equal(expected, ProtocolHello.Prologue(responder, initiator));
    }
}
