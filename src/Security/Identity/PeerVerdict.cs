namespace SecretChat.Security.Identity;

/// <summary>What the known-peers store says about a peer's key and the name it gave.</summary>
public enum PeerVerdict
{
    /// <summary>The key was never seen and the name looks like no contact's (trust on first use applies: a NEW contact).</summary>
    New,

    /// <summary>The key is pinned: the peer is a known contact, shown by the name the user pinned it under.</summary>
    Match,

    /// <summary>
    /// The key was never seen but the name is a contact's: possibly a man in the middle; refuse unless the user
    /// accepts the new key.
    /// </summary>
    Changed,

    /// <summary>
    /// The key was never seen and the name looks like a contact's (the same case-folded confusable skeleton, see
    /// <see cref="PeerName.LooksLike"/>): treated exactly like <see cref="Changed"/>.
    /// </summary>
    LookAlike,
}

/// <summary>
/// The verdict plus the contact it concerns: for <see cref="PeerVerdict.Match"/> the contact with this key, for
/// <see cref="PeerVerdict.Changed"/> and <see cref="PeerVerdict.LookAlike"/> the contact whose name the peer used or
/// imitated; null for <see cref="PeerVerdict.New"/>.
/// </summary>
public readonly record struct PeerCheck(PeerVerdict Verdict, PeerContact? Contact)
{
    /// <summary>The contact's pinned key (empty for <see cref="PeerVerdict.New"/>).</summary>
    public ReadOnlyMemory<byte> PinnedKey => Contact?.Key ?? default;

    /// <summary>Whether the user verified the contact's safety number.</summary>
    public bool IsVerified => Contact?.IsVerified ?? false;
}

/// <summary>A pinned key and the name the user knows it by.</summary>
/// <param name="Name">The name the contact was pinned under (what the user sees for this key).</param>
/// <param name="Key">The contact's static public key.</param>
/// <param name="IsVerified">Whether the user compared the safety number out of band (<c>/verify</c>).</param>
/// <param name="Added">When the key was pinned.</param>
public sealed record PeerContact(PeerName Name, ReadOnlyMemory<byte> Key, bool IsVerified, DateTimeOffset Added)
{
    private readonly PeerVerification _verifiedBy;

    /// <summary>
    /// How the contact was verified: <see cref="PeerVerification.None"/> when it is not, else
    /// <see cref="PeerVerification.SafetyNumber"/> unless a code pairing verified it.
    /// </summary>
    public PeerVerification VerifiedBy
    {
        get => !IsVerified ? PeerVerification.None : _verifiedBy == PeerVerification.None ? PeerVerification.SafetyNumber : _verifiedBy;
        init => _verifiedBy = value;
    }
}

/// <summary>How a pinned contact was verified.</summary>
public enum PeerVerification
{
    /// <summary>Not verified: pinned on first use (or accepted as a new key).</summary>
    None,

    /// <summary>The users compared the safety number out of band (<c>/verify</c>).</summary>
    SafetyNumber,

    /// <summary>The users paired with a short code: J-PAKE bound to the session confirmed the key.</summary>
    Code,
}
