namespace SecretChat.Chat;

/// <summary>
/// A pinned peer presented a different identity key and was refused. Carries what an explicit
/// acceptance (<c>/trust</c>) needs to re-pin it.
/// </summary>
public sealed class PeerKeyChangedException(string message, string peerName, byte[] presentedKey, string knownPeersPath)
    : ChatFailedException(message)
{
    /// <summary>The name of the peer whose key changed.</summary>
    public string PeerName { get; } = peerName;

    /// <summary>The key the peer presented this time (not the pinned one), as <c>/trust</c> pins it.</summary>
    public byte[] PresentedKey { get; } = presentedKey;

    /// <summary>The known-peers file that holds the pin, where <c>/trust</c> re-pins the key.</summary>
    public string KnownPeersPath { get; } = knownPeersPath;

    /// <summary>The safety number with the pinned key, where the contact is pinned under <see cref="PeerName"/>; else null.</summary>
    public string? PinnedSafetyNumber { get; init; }

    /// <summary>The safety number with the key the peer presented this time, where the session has static keys; else null.</summary>
    public string? PresentedSafetyNumber { get; init; }
}
