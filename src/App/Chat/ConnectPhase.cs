namespace SecretChat.Chat;

/// <summary>
/// Where a connect (or a listener serving one peer) has got to, for a progress that wants it typed: an
/// <see cref="IProgress{T}"/> of <see cref="string"/> passed to <see cref="IChatConnector.ConnectAsync"/> or
/// <see cref="IChatListener.AcceptAsync"/> that is also an <see cref="IProgress{T}"/> of <see cref="ConnectPhase"/>
/// hears each phase as it starts, beside the sentences.
/// </summary>
public enum ConnectPhase
{
    /// <summary>Reaching the peer's address (TCP connect, resolving the host).</summary>
    Connecting,

    /// <summary>The peer is reached; the security module's handshake runs.</summary>
    Handshaking,

    /// <summary>The handshake completed; the peer's name and key are being checked (pins, the verifier).</summary>
    Verifying,
}
