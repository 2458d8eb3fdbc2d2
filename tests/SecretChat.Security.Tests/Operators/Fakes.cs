using System.Buffers;
using SecretChat.Security;

namespace SecretChat.Security.Tests.Operators;

/// <summary>
/// A scripted handshake for testing the operators without real cryptography: the initiator writes
/// "m1", the responder answers "m2", done. It records the prologue it was given.
/// </summary>
internal sealed class ScriptedSecurity(SecurityModuleInfo? mode = null) : ISecurityModule
{
    public List<byte[]> Prologues { get; } = [];

    public SecurityModuleInfo Info { get; } = mode ?? BuiltInModules.Pseudo;

    public IHandshake CreateHandshake(HandshakeRole role, ReadOnlySpan<byte> prologue)
    {
        Prologues.Add(prologue.ToArray());
        return new ScriptedHandshake(role, Info);
    }
}

internal sealed class ScriptedHandshake(HandshakeRole role, SecurityModuleInfo mode) : IHandshake
{
    private int _step;

    public HandshakeRole Role => role;

    public HandshakeStatus Status => (role, _step) switch
    {
        (HandshakeRole.Initiator, 0) => HandshakeStatus.MustWrite,
        (HandshakeRole.Initiator, 1) => HandshakeStatus.MustRead,
        (HandshakeRole.Responder, 0) => HandshakeStatus.MustRead,
        (HandshakeRole.Responder, 1) => HandshakeStatus.MustWrite,
        _ => HandshakeStatus.Complete,
    };

    public bool Disposed { get; private set; }

    public bool IsFinalWrite => true;

    public void WriteMessage(IBufferWriter<byte> output) => WriteMessage(default, output);

    /// <summary>"m1" or "m2", then the payload in the clear.</summary>
    public void WriteMessage(ReadOnlySpan<byte> payload, IBufferWriter<byte> output)
    {
        output.Write(role == HandshakeRole.Initiator ? "m1"u8 : "m2"u8);
        output.Write(payload);
        _step++;
    }

    public byte[] ReadMessage(ReadOnlySpan<byte> message)
    {
        var expected = role == HandshakeRole.Initiator ? "m2"u8 : "m1"u8;
        if (!message.StartsWith(expected))
            throw new HandshakeException("The scripted message was wrong.");
        _step++;
        return message[expected.Length..].ToArray();
    }

    public SecureSession Split() => new(mode, new ChecksumCipherState(), new ChecksumCipherState(), new byte[] { 42 });

    public void Dispose() => Disposed = true;
}

/// <summary>
/// A toy cipher for operator tests: plaintext in the clear plus a one-byte tag over the nonce and
/// the bytes, so tampering and reordering are detected like a real AEAD would.
/// </summary>
internal sealed class ChecksumCipherState : CipherState
{
    public override int TagSize => 1;

    protected override void SealCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        plaintext.CopyTo(destination);
        destination[plaintext.Length] = Tag(nonce, plaintext);
    }

    protected override bool TryOpenCore(ulong nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (ciphertext.Length < 1)
            return false;
        var body = ciphertext[..^1];
        if (ciphertext[^1] != Tag(nonce, body))
            return false;
        body.CopyTo(destination);
        return true;
    }

    public override void Dispose()
    {
    }

    private static byte Tag(ulong nonce, ReadOnlySpan<byte> bytes)
    {
        var tag = (byte)(0x5A ^ (byte)nonce);
        foreach (var b in bytes)
            tag = (byte)((tag * 31) ^ b);
        return tag;
    }
}

internal static class Bytes
{
    public static ReadOnlySequence<byte> Seq(params byte[] bytes) => new(bytes);

    public static ReadOnlySequence<byte> Seq(string text) => new(System.Text.Encoding.UTF8.GetBytes(text));

    public static ReadOnlySequence<byte> Hello(SecurityModuleInfo mode, HandshakeRole role) =>
        new(HelloBytes(mode, role));

    public static byte[] HelloBytes(SecurityModuleInfo mode, HandshakeRole role) =>
        new ProtocolHello(ProtocolHello.SupportedVersions, mode.Id, role).ToArray();

    /// <summary>The responder's scripted message "m2" with the payload protocol 2 requires: the echo of its hello.</summary>
    public static ReadOnlySequence<byte> ResponderReply(SecurityModuleInfo mode, HandshakeGreeting? greeting = null) =>
        new([.. "m2"u8, .. HandshakePayload.Encode(HelloBytes(mode, HandshakeRole.Responder), greeting)]);
}
