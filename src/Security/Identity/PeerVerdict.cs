namespace SecretChat.Security.Identity;

/// <summary>What the known-peers store says about a peer's key.</summary>
public enum PeerVerdict
{
    /// <summary>No key is pinned for this name yet (trust on first use applies).</summary>
    New,

    /// <summary>The key is the one pinned.</summary>
    Match,

    /// <summary>A different key is pinned: possibly a man in the middle; refuse unless the user accepts the new key.</summary>
    Changed,
}

/// <summary>The verdict plus what was pinned before (empty for <see cref="PeerVerdict.New"/>).</summary>
public readonly record struct PeerCheck(PeerVerdict Verdict, ReadOnlyMemory<byte> PinnedKey, bool IsVerified);
