namespace SecretChat.Chat;

/// <summary>
/// A pinned peer presented a different identity key and was refused. Carries what an explicit
/// acceptance (<c>/trust</c>) needs to re-pin it.
/// </summary>
public sealed class PeerKeyChangedException(string message, string peerName, byte[] presentedKey, string knownPeersPath)
    : ChatFailedException(message)
{
    public string PeerName { get; } = peerName;

    public byte[] PresentedKey { get; } = presentedKey;

    public string KnownPeersPath { get; } = knownPeersPath;
}
