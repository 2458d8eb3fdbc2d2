using System.Security.Cryptography;

namespace SecretChat.Security;

/// <summary>
/// The protocol-2 rules about handshake payloads, shared by the stream and the datagram drivers: the responder's
/// first message echoes its hello, each side's last message carries its greeting, and the initiator checks the echo
/// against the hello it received in the clear.
/// </summary>
internal sealed class HandshakeTranscript(HandshakeRole role)
{
    private bool _wroteAny;
    private int _peerMessages;
    private byte _version;
    private HandshakeGreeting? _peerGreeting;

    public ProtocolHello? PeerHello { get; private set; }

    public void OnPeerHello(ProtocolHello peer, ProtocolHello local)
    {
        _version = local.Negotiate(peer);
        PeerHello = peer;
    }

    /// <summary>The payload of this side's next handshake message.</summary>
    public byte[] NextPayload(IHandshake handshake, ProtocolHello local, HandshakeGreeting greeting)
    {
        var echo = role == HandshakeRole.Responder && !_wroteAny ? local.Bytes : default;
        _wroteAny = true;
        return HandshakePayload.Encode(echo, handshake.IsFinalWrite ? greeting : null);
    }

    /// <exception cref="HandshakeException">The payload is malformed, or the responder's echo does not match its hello.</exception>
    public void OnPeerPayload(ReadOnlySpan<byte> payload)
    {
        HandshakePayload.Decode(payload, out var echo, out var greeting);
        if (role == HandshakeRole.Initiator && _peerMessages == 0)
        {
            if (PeerHello is null)
                throw new HandshakeException("The peer sent a handshake message before its hello.");
            if (!CryptographicOperations.FixedTimeEquals(echo, PeerHello.Bytes))
                throw new HandshakeException(
                    "The peer's hello was changed on its way (the peer's handshake does not confirm it): the connection was tampered with.");
        }
        _peerMessages++;
        if (greeting is not null)
            _peerGreeting = greeting;
    }

    /// <exception cref="HandshakeException">The initiator never read a responder message, so nothing confirmed the responder's hello.</exception>
    public void EnsureConfirmed()
    {
        if (role == HandshakeRole.Initiator && _peerMessages == 0)
            throw new HandshakeException(
                "The handshake ended without a message from the responder, so nothing confirmed its hello; this mode cannot run protocol 2.");
    }

    public void Complete(SecureSession session)
    {
        session.PeerGreeting = _peerGreeting ?? HandshakeGreeting.Empty;
        session.ProtocolVersion = _version;
    }
}
