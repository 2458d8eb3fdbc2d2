using System.Net;

namespace SecretChat.Transport.Turn;

/// <summary>
/// A datagram a peer sent through the TURN relay: who sent it (the peer's address as the relay saw it) and its bytes.
/// The payload points into the datagram given to <see cref="TurnClient.TryHandle"/> (or a buffer of the client's) and
/// is valid only until that call's caller reuses its buffer: copy what you keep.
/// </summary>
public readonly ref struct TurnDelivery
{
    /// <summary>A delivery from <paramref name="peer"/> of <paramref name="payload"/>.</summary>
    public TurnDelivery(IPEndPoint peer, ReadOnlySpan<byte> payload)
    {
        Peer = peer;
        Payload = payload;
    }

    /// <summary>The peer that sent the datagram, or <see langword="null"/> when the handled datagram carried none.</summary>
    public IPEndPoint? Peer { get; }

    /// <summary>The peer's datagram (empty when <see cref="Peer"/> is null).</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Whether this carries a peer's datagram.</summary>
    public bool HasPayload => Peer is not null;
}
