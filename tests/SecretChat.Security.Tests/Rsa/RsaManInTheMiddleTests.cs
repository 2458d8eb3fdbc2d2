using SecretChat.Security.Rsa;

namespace SecretChat.Security.Tests.Rsa;

/// <summary>
/// What rsa mode does not protect, shown rather than claimed: nothing authenticates the responder's RSA key, so an
/// active man in the middle who answers each side with a handshake of its own reads and relays every message, and
/// neither side can tell (docs/SECURITY.md, "Threat model"). Noise's counterpart, where the two victims see different
/// safety numbers, is NoiseSecurityTests.Handshake_ManInTheMiddle_VictimsSeeDifferentSafetyNumbersAndPinnedKeyChanged.
/// </summary>
public class RsaManInTheMiddleTests
{
    private static readonly byte[] Prologue = "SecretChat/2 rsa"u8.ToArray();

    [Fact]
    public void RsaHandshake_ActiveManInTheMiddle_ReadsAndRelaysEveryMessageUnnoticed()
    {
        var security = new RsaSecurity();
        using var alice = security.CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var malloryAsBob = security.CreateHandshake(HandshakeRole.Responder, Prologue);
        using var malloryAsAlice = security.CreateHandshake(HandshakeRole.Initiator, Prologue);
        using var bob = security.CreateHandshake(HandshakeRole.Responder, Prologue);

        new HandshakeDriver().Run(alice, malloryAsBob);
        new HandshakeDriver().Run(malloryAsAlice, bob);
        using var aliceSession = alice.Split();
        using var malloryFacingAlice = malloryAsBob.Split();
        using var malloryFacingBob = malloryAsAlice.Split();
        using var bobSession = bob.Split();

        var plaintext = "meet at noon"u8.ToArray();
        var fromAlice = Seal(aliceSession, plaintext);
        var read = Open(malloryFacingAlice, fromAlice);
        var forged = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(read).Replace("noon", "dawn"));
        var atBob = Open(bobSession, Seal(malloryFacingBob, forged));

        Assert.Equal(plaintext, read);
        Assert.Equal("meet at dawn"u8.ToArray(), atBob);
        Assert.True(aliceSession.IsConfidential && bobSession.IsConfidential); // each side sees a sound-looking session
        Assert.True(aliceSession.RemoteStaticKey.IsEmpty && bobSession.RemoteStaticKey.IsEmpty); // and nothing to compare
    }

    private static byte[] Seal(SecureSession session, byte[] plaintext)
    {
        var sealedBytes = new byte[plaintext.Length + session.Sender.TagSize];
        session.Sender.Seal(default, plaintext, sealedBytes);
        return sealedBytes;
    }

    private static byte[] Open(SecureSession session, byte[] sealedBytes)
    {
        var opened = new byte[sealedBytes.Length - session.Receiver.TagSize];
        Assert.True(session.Receiver.TryOpen(default, sealedBytes, opened));
        return opened;
    }
}
