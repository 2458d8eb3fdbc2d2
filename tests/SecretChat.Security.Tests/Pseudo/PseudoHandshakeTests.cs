using System.Security.Cryptography;
using SecretChat.Security.Pseudo;
using SecretChat.Security.Tests.Rsa;

namespace SecretChat.Security.Tests.Pseudo;

public class PseudoHandshakeTests
{
    private static readonly byte[] Prologue = "SecretChat/1 chose pseudo"u8.ToArray();

    [Fact]
    public void PseudoHandshake_RoundTrip_HandsOverPlaintextSessionsWithThePrologueHash()
    {
        var security = new PseudoSecurity();
        using var initiator = security.CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = security.CreateHandshake(HandshakeRole.Responder, Prologue);
        var driver = new HandshakeDriver();

        driver.Run(initiator, responder);
        using var initiatorSession = initiator.Split();
        using var responderSession = responder.Split();

        var expectedHash = SHA256.HashData([.. "SecretChat pseudo"u8, .. Prologue]);
        // Protocol 2: two messages, so the responder too can carry its hello echo and greeting.
        Assert.Equal([HandshakeStatus.MustWrite, HandshakeStatus.MustRead, HandshakeStatus.Complete], driver.InitiatorStatuses);
        Assert.Equal([HandshakeStatus.MustRead, HandshakeStatus.MustWrite, HandshakeStatus.Complete], driver.ResponderStatuses);
        Assert.Equal([expectedHash, expectedHash], driver.Messages);
        Assert.Equal(BuiltInModules.Pseudo, initiatorSession.Module);
        Assert.False(initiatorSession.IsConfidential);
        Assert.Equal(expectedHash, initiatorSession.HandshakeHash.ToArray());
        Assert.Equal(expectedHash, responderSession.HandshakeHash.ToArray());

        var sealedBytes = new byte[2];
        initiatorSession.Sender.Seal(default, "hi"u8, sealedBytes);
        var opened = new byte[2];
        Assert.True(responderSession.Receiver.TryOpen(default, sealedBytes, opened));
        Assert.Equal("hi"u8.ToArray(), opened);
        Assert.Equal(0, responderSession.Sender.TagSize);
    }

    [Theory]
    [InlineData("SecretChat/1 chose rsa")]
    [InlineData("SecretChat/2 chose pseudo")]
    public void PseudoHandshake_PrologueMismatch_ResponderThrowsHandshakeException(string responderPrologue)
    {
        var security = new PseudoSecurity();
        using var initiator = security.CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = security.CreateHandshake(HandshakeRole.Responder, System.Text.Encoding.ASCII.GetBytes(responderPrologue));

        var thrown = Assert.Throws<HandshakeException>(() => new HandshakeDriver().Run(initiator, responder));

        Assert.Equal(PseudoHandshake.MismatchMessage, thrown.Message);
        Assert.Throws<InvalidOperationException>(() => responder.Split());
        Assert.Throws<InvalidOperationException>(() => responder.ReadMessage(new byte[32]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void PseudoHandshake_WrongLengthMessage_Throws(int length)
    {
        using var responder = new PseudoSecurity().CreateHandshake(HandshakeRole.Responder, Prologue);

        Assert.Throws<HandshakeException>(() => responder.ReadMessage(new byte[length]));
    }

    [Fact]
    public void PseudoHandshake_OutOfTurnCalls_ThrowInvalidOperation()
    {
        var security = new PseudoSecurity();
        using var initiator = security.CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var responder = security.CreateHandshake(HandshakeRole.Responder, Prologue);

        Assert.Throws<InvalidOperationException>(() => initiator.ReadMessage(new byte[32]));
        Assert.Throws<InvalidOperationException>(() => HandshakeDriver.Write(responder));
        Assert.Throws<InvalidOperationException>(() => initiator.Split());
    }
}
