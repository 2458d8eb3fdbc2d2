using System.Security.Cryptography;
using SecretChat.Security.Noise;

namespace SecretChat.Security;

/// <summary>
/// The protocol-2 rules about handshake payloads, shared by the stream and the datagram drivers: the responder's
/// first message echoes its hello, each side's last message carries its greeting, and the initiator checks the echo
/// against the hello it received in the clear. A side whose noise handshake runs the post-quantum hybrid lists
/// <see cref="NoiseSecurity.PostQuantumCapability"/> in its greeting, and a side whose handshake is classic fails when
/// the peer's greeting lists it: only a man in the middle who stripped the hybrid's e1 makes that happen.
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
        return HandshakePayload.Encode(echo, handshake.IsFinalWrite ? WithPostQuantum(handshake, greeting) : null);
    }

    /// <exception cref="HandshakeException">The payload is malformed, or the responder's echo does not match its hello.</exception>
    public void OnPeerPayload(ReadOnlySpan<byte> payload, IHandshake handshake)
    {
        HandshakePayload.Decode(payload, out var echo, out var greeting);
        if (greeting is not null && greeting.Supports(NoiseSecurity.PostQuantumCapability) && handshake is NoiseXXHandshake { IsPostQuantum: false })
            throw new HandshakeException(
                "The peer runs the post-quantum handshake, but this one arrived without it: a man in the middle removed it, so the connection was refused.");
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

    private static HandshakeGreeting WithPostQuantum(IHandshake handshake, HandshakeGreeting greeting) =>
        handshake is NoiseXXHandshake { IsPostQuantum: true }
        && !greeting.Supports(NoiseSecurity.PostQuantumCapability)
        && greeting.Capabilities.Count < HandshakeGreeting.MaxCapabilities
            ? new HandshakeGreeting(greeting.DisplayName, [.. greeting.Capabilities, NoiseSecurity.PostQuantumCapability])
            : greeting;

    public void Complete(SecureSession session)
    {
        session.PeerGreeting = _peerGreeting ?? HandshakeGreeting.Empty;
        session.ProtocolVersion = _version;
    }
}
