using System.Net;
using System.Security.Cryptography;
using SecretChat.Framing.Packets;
using SecretChat.Security.Replay;

namespace SecretChat.Security.Datagrams;

// Opening: cheap checks that change nothing come first (phase, session id, size, the replay window and the counter
// lead), then the tag is verified, and only then does anything change (the window, the peer's address), so
// unauthenticated datagrams have no effect at all.
public sealed partial class SecureDatagramChannel
{
    /// <summary>How many authenticated payloads are kept for a subscriber that has not arrived yet.</summary>
    private const int MaxEarlyPayloads = 64;

    private readonly byte[] _openBuffer = new byte[PacketCodec.MaxDatagramSize];

    private void OnDataPacket(IPEndPoint from, PacketHeader header, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> sealedPayload)
    {
        if (_phase != Phase.Established)
        {
            Drop(DatagramDropReason.NotEstablished);
            return;
        }
        if (header.SessionId != LocalSessionId)
        {
            Drop(DatagramDropReason.UnknownSession);
            return;
        }
        var receiver = _session!.Receiver;
        var window = _window!;
        if (sealedPayload.Length < receiver.TagSize)
        {
            Drop(DatagramDropReason.Malformed);
            return;
        }
        var counter = header.Counter;
        switch (window.Check(counter))
        {
            case ReplayVerdict.Replayed:
                Drop(DatagramDropReason.Replayed);
                return;
            case ReplayVerdict.TooOld:
                Drop(DatagramDropReason.TooOld);
                return;
            case ReplayVerdict.BeyondLimit:
                Drop(DatagramDropReason.TooFarAhead);
                return;
        }
        if (counter > window.Highest && counter - window.Highest > _options.MaxCounterLead)
        {
            Drop(DatagramDropReason.TooFarAhead);
            return;
        }

        var plaintext = _openBuffer.AsSpan(0, sealedPayload.Length - receiver.TagSize);
        bool authentic;
        try
        {
            authentic = receiver.TryOpen(counter, associatedData, sealedPayload, plaintext);
        }
        catch (CryptographicException)
        {
            authentic = false;
        }
        if (!authentic)
        {
            plaintext.Clear();
            Drop(DatagramDropReason.AuthenticationFailed);
            return;
        }

        // Authenticated: now, and only now, the window moves and the peer's address may follow it.
        if (!window.TryMark(counter))
        {
            Drop(DatagramDropReason.Replayed);
            return;
        }
        var isProbe = plaintext.Length == 0;
        OnAuthenticatedLocked(from, isProbe);
        if (isProbe)
            return; // Path probes carry nothing for the layer above.
        if (!_payloads.Deliver(_openBuffer.AsMemory(0, plaintext.Length), out var kept))
            Drop(DatagramDropReason.NoSubscriber);
        else if (!kept)
            _delivered++;
    }
}
