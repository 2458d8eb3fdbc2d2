using System.Net;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.Chat;

/// <summary>Something that happened in a chat session, in the order it happened.</summary>
public abstract record ChatEvent
{
    /// <summary>When it happened (UTC).</summary>
    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// The handshake completed and the peer introduced itself.
/// </summary>
/// <param name="Peer">The name the peer gave (<c>--name</c>).</param>
/// <param name="Transport">TCP or UDP (the event writers name it: <c>tcp</c> or <c>udp</c>).</param>
/// <param name="Path">Direct, or through the relay (<c>direct</c> or <c>relay</c>).</param>
/// <param name="Encryption">The security module (the event writers name it by its identifier: <c>noise</c>, <c>rsa</c>, <c>pseudo</c> or a custom one).</param>
/// <param name="IsConfidential">False for pseudo: the session is NOT ENCRYPTED.</param>
/// <param name="Fingerprint">The safety number both sides should compare (noise), else null.</param>
/// <param name="RemoteEndPoint">The peer's address as this side sees it, where known.</param>
/// <param name="Contact">
/// Whether the peer's key is a new, known, verified or just replaced contact (<see cref="ContactStatus.Unpinned"/>
/// where nothing is pinned: rsa, pseudo, or a chat that accepts any peer).
/// </param>
/// <param name="PeerKey">The peer's static public key where the mode has one (what <c>/verify</c> marks), else empty.</param>
public sealed record Connected(
    string Peer,
    TransportKind Transport,
    PathKind Path,
    SecurityModuleInfo Encryption,
    bool IsConfidential,
    string? Fingerprint,
    EndPoint? RemoteEndPoint,
    ContactStatus Contact = ContactStatus.Unpinned,
    ReadOnlyMemory<byte> PeerKey = default) : ChatEvent
{
    /// <summary>True when the session's keys mix in a post-quantum KEM (noise's ML-KEM-768 hybrid).</summary>
    public bool IsPostQuantum { get; init; }

    /// <summary>
    /// The protocol the handshake ran, its cipher included (<see cref="SecureSession.ProtocolName"/>): for noise
    /// <c>Noise_XX_25519_AESGCM_SHA256</c> where both sides accelerate AES, the ChaChaPoly name otherwise; null where not known.
    /// </summary>
    public string? Cipher { get; init; }
}

/// <summary>What the pinned keys say about the peer of a session (the event writers name it: <c>new</c>, <c>known</c>, ...).</summary>
public enum ContactStatus
{
    /// <summary>No key was checked against pins (rsa, pseudo, or a chat that accepts any peer).</summary>
    Unpinned,

    /// <summary>
    /// A key never seen before, now pinned: a NEW contact, not verified. Shown loudly every time until the user
    /// compares the safety number and types <c>/verify</c>.
    /// </summary>
    New,

    /// <summary>A pinned key, shown by the name it was pinned under; not verified yet, so it is shown as such.</summary>
    Known,

    /// <summary>A pinned key whose safety number the user compared (<c>/verify</c>).</summary>
    Verified,

    /// <summary>A contact's key that was just replaced by the user's explicit acceptance (<c>--accept-new-key</c>); not verified.</summary>
    Replaced,

    /// <summary>
    /// A pinned key verified by a code pairing: in this session (the key was pinned, or marked, as verified by code just
    /// now), or in an earlier one.
    /// </summary>
    VerifiedByCode,
}

/// <summary>
/// The id of a message this side sent, numbered from 1 in each session: what <see cref="IChat.SendAsync"/> returns and what
/// <see cref="MessageSent"/>, <see cref="Delivered"/> and <see cref="MessageUndelivered"/> refer to. A type of its own, so
/// that it cannot be mistaken for a <see cref="PeerMessageId"/> (both directions count from 1).
/// </summary>
/// <param name="Value">The number on the wire.</param>
public readonly record struct LocalMessageId(ulong Value)
{
    /// <summary>The number, as the event writers show it.</summary>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// The id the peer gave a message it sent (<see cref="MessageReceived"/>); a type of its own, so that it cannot be mistaken
/// for a <see cref="LocalMessageId"/>.
/// </summary>
/// <param name="Value">The number on the wire.</param>
public readonly record struct PeerMessageId(ulong Value)
{
    /// <summary>The number, as the event writers show it.</summary>
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A message from the peer, delivered once and in order.</summary>
public sealed record MessageReceived(string From, PeerMessageId Id, DateTimeOffset SentAt, string Text) : ChatEvent;

/// <summary>
/// This side queued message <paramref name="Id"/> for the peer (<see cref="ChatEvent.At"/> is when): it comes before any
/// <see cref="Delivered"/> or <see cref="MessageUndelivered"/> for the same id, and exactly one of the two follows unless
/// the session goes on.
/// </summary>
/// <param name="Id">The id <see cref="IChat.SendAsync"/> returned.</param>
/// <param name="Text">The text as sent.</param>
public sealed record MessageSent(LocalMessageId Id, string Text) : ChatEvent;

/// <summary>The peer acknowledged message <paramref name="Id"/> (the id <see cref="IChat.SendAsync"/> returned).</summary>
public sealed record Delivered(LocalMessageId Id) : ChatEvent;

/// <summary>
/// The session ended before the peer acknowledged message <paramref name="Id"/>: it may or may not have been read. Comes
/// just before <see cref="Disconnected"/>, one per message still unacknowledged, in the order they were sent.
/// </summary>
/// <param name="Id">The id <see cref="IChat.SendAsync"/> returned.</param>
/// <param name="Reason">Why the session ended (the same sentence as <see cref="Disconnected.Reason"/>).</param>
public sealed record MessageUndelivered(LocalMessageId Id, string Reason) : ChatEvent;

/// <summary>The peer has finished sending (end of its input); it still receives and acknowledges.</summary>
public sealed record PeerFinished(string Peer) : ChatEvent;

/// <summary>
/// The session moved to another path (direct or relay) without losing anything, for <paramref name="Reason"/>.
/// <paramref name="Details"/> is where the session is at that moment (what <c>/path</c> shows: RTT, public addresses, why direct failed).
/// </summary>
public sealed record PathChanged(PathKind Path, EndPoint? Remote, PathMoveReason Reason, PathReport? Details = null) : ChatEvent;

/// <summary>The session ended. <paramref name="Reason"/> is one sentence; <paramref name="Clean"/> is true for an orderly close.</summary>
public sealed record Disconnected(string Reason, bool Clean) : ChatEvent;

/// <summary>Something went wrong that the user should see (the session may or may not go on).</summary>
public sealed record ChatError(string Message) : ChatEvent;
