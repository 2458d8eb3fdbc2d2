using System.Net;
using SecretChat.Security;
using SecretChat.Signaling.PeerToPeer;
using SecretChat.Transport.Reliability;

namespace SecretChat.Chat;

/// <summary>How a chat reaches its peer.</summary>
public enum ChatTransport
{
    /// <summary>A TCP connection to <see cref="ChatOptions.EndPoint"/> (or a TCP listener on it).</summary>
    Tcp,
    /// <summary>
    /// A UDP session with <see cref="ChatOptions.EndPoint"/> (or a UDP listener on it), made reliable above the
    /// datagrams.
    /// </summary>
    Udp,

    /// <summary>UDP through both NATs: <see cref="ChatOptions.EndPoint"/> is the signaling server, <see cref="ChatOptions.Room"/> the meeting point.</summary>
    PeerToPeer,
}

/// <summary>Everything needed to open a chat session, after settings, environment and flags are merged.</summary>
public sealed record ChatOptions
{
    /// <summary>The default <see cref="Encryption"/>: the one home of this value (settings read it).</summary>
    public static SecurityModuleInfo DefaultEncryption => BuiltInModules.Noise;

    /// <summary>How the chat reaches its peer; TCP unless set.</summary>
    public ChatTransport Transport { get; init; } = ChatTransport.Tcp;

    /// <summary><c>HOST:PORT</c> to connect to, or <c>ADDR:PORT</c> to listen on (port 0 picks a free one).</summary>
    public required string EndPoint { get; init; }

    /// <summary>The room both peers join at the signaling server (<see cref="ChatTransport.PeerToPeer"/> only).</summary>
    public string? Room { get; init; }

    /// <summary>
    /// The built-in security module to use (see <see cref="BuiltInModules"/>); a connector given a security factory
    /// (<see cref="Composition.ChatConnector"/>) runs whatever module that makes instead.
    /// </summary>
    public SecurityModuleInfo Encryption { get; init; } = DefaultEncryption;

    /// <summary>The name this side introduces itself with.</summary>
    public string Name { get; init; } = Environment.UserName;

    /// <summary>Long-term identity key file (noise); null means the per-user default path.</summary>
    public string? IdentityPath { get; init; }

    /// <summary>Known-peers file (noise pins); null means the default beside the identity.</summary>
    public string? KnownPeersPath { get; init; }

    /// <summary>
    /// Pair with this code after the handshake (noise only; <see cref="ChatSessionOptions.PairingCode"/>). For
    /// <see cref="ChatTransport.PeerToPeer"/> its nameplate is the meeting point at the signaling server, in place of
    /// <see cref="Room"/>. Null: no code.
    /// </summary>
    public Security.Pairing.PairingCode? PairingCode { get; init; }

    /// <summary>
    /// p2p with a <see cref="PairingCode"/> without a nameplate: hears the whole code (<c>N-word-word</c>) once the
    /// signaling server allocated the nameplate, so the user can pass it on; the wait for the peer follows.
    /// </summary>
    public Action<Security.Pairing.PairingCode>? CodeAllocated { get; init; }

    /// <summary>Accept a pinned peer's new key instead of refusing it (noise).</summary>
    public bool AcceptNewPeerKey { get; init; }

    /// <summary>
    /// noise: start handshakes in the post-quantum hybrid (ML-KEM-768 mixed into X25519's keys); true unless set. A
    /// responder answers whichever pattern the initiator chose; false is for reaching a build without the hybrid.
    /// </summary>
    public bool PostQuantum { get; init; } = true;

    /// <summary>Refuse a peer whose session is not post-quantum (<c>--require-pq</c>); implies <see cref="PostQuantum"/>.</summary>
    public bool RequirePostQuantum { get; init; }

    /// <summary>The default <see cref="MaxPendingHandshakes"/>: the one home of this value.</summary>
    public const int DefaultMaxPendingHandshakes = 64;

    /// <summary>
    /// A listener: how many handshakes may be under way at once (plus accepted peers not yet taken); a newcomer beyond
    /// that is told the listener is busy and dropped.
    /// </summary>
    public int MaxPendingHandshakes { get; init; } = DefaultMaxPendingHandshakes;

    /// <summary>How long connecting plus the handshake may take before it fails with a clear error.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = HandshakeDefaults.Timeout;

    /// <summary>
    /// A listener with pinned keys (noise): asked when a known peer presents a changed key, with what the user must see
    /// (both safety numbers); true re-pins that one peer's key and the session goes on, false refuses it with
    /// <see cref="Framing.CloseReason.KeyChanged"/>. The peer waits meanwhile, told why, up to
    /// <see cref="KeyChangeAnswerTimeout"/>. Null (the default) refuses a changed key at once (unless
    /// <see cref="AcceptNewPeerKey"/>).
    /// </summary>
    public Func<PeerKeyChangedException, CancellationToken, Task<bool>>? AskToTrustChangedKey { get; init; }

    /// <summary>How long a user may take to answer <see cref="AskToTrustChangedKey"/>, and how long a peer told to wait for that answer waits (default 2 minutes).</summary>
    public TimeSpan KeyChangeAnswerTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// p2p: the address the session's one UDP socket binds to. Host candidates follow it: a specific address is
    /// the only one announced to the peer; the wildcard announces every address of this machine. Null: loopback
    /// when the signaling server is on loopback (then the peer is on this machine too), else the wildcard.
    /// </summary>
    public IPAddress? LocalAddress { get; init; }

    /// <summary>p2p: how long to wait at the signaling server for the peer to join the room (default 10 minutes).</summary>
    public static readonly TimeSpan DefaultPeerWait = TimeSpan.FromMinutes(10);

    /// <summary>
    /// p2p: how long to wait for the peer to join the room before giving up with
    /// <see cref="UserSentences.NoPeerCame"/>; <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled.
    /// </summary>
    public TimeSpan PeerWait { get; init; } = DefaultPeerWait;

    /// <summary>p2p: how long the direct path has before the relay is tried; null never relays.</summary>
    public TimeSpan? RelayFallback { get; init; } = PeerToPeerOptions.Default.RelayFallback;

    /// <summary>UDP: send a keepalive after this much silence, so NAT mappings stay open (default: the reliability layer's).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = ReliabilityOptions.Default.KeepAliveInterval;

    /// <summary>UDP: a peer silent (no authenticated traffic) for this long is reported as gone (default: the reliability layer's).</summary>
    public TimeSpan DeadPeerTimeout { get; init; } = ReliabilityOptions.Default.DeadPeerTimeout;
}
