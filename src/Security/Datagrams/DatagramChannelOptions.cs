using SecretChat.Framing.Packets;
using SecretChat.Security.Replay;

namespace SecretChat.Security.Datagrams;

/// <summary>
/// Decides whether the peer of a completed datagram handshake may have the session, before anything is sent or
/// delivered over it: null accepts it; a sentence (for the user) refuses it. It sees the peer's authenticated static
/// key (<see cref="SecureSession.RemoteStaticKey"/>, in modes that have one) and its greeting
/// (<see cref="SecureSession.PeerGreeting"/>). It runs under the channel's lock: it must not call back into the channel.
/// </summary>
/// <param name="session">The session the handshake produced; the channel still owns it.</param>
public delegate string? PeerAdmission(SecureSession session);

/// <summary>Timers and limits of a <see cref="SecureDatagramChannel"/>.</summary>
public sealed record DatagramChannelOptions
{
    /// <summary>The defaults, used when no options are given.</summary>
    public static DatagramChannelOptions Default { get; } = new();

    /// <summary>
    /// How long the handshake may take: from <see cref="SecureDatagramChannel.Connect"/> for the initiator,
    /// from the first hello for the responder (a listener waits for its peer as long as it likes).
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = HandshakeDefaults.Timeout;

    /// <summary>What this side says about itself inside the handshake (protocol 2): display name and capabilities.</summary>
    public HandshakeGreeting Greeting { get; init; } = HandshakeGreeting.Empty;

    /// <summary>The first wait before this side's last handshake flight is sent again; it doubles after each try.</summary>
    public TimeSpan RetransmitInitial { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The cap of the doubling wait between handshake retransmissions.</summary>
    public TimeSpan RetransmitMax { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How many of a flight's retransmissions come <see cref="FastRetransmitInterval"/> apart before the doubling from
    /// <see cref="RetransmitInitial"/> begins (0, the default: none). A path manager that punches through NATs sets it:
    /// there the first flight often dies at the peer's NAT before the peer's own punch opened it, and at 10 % loss a
    /// lost flight should cost a probe interval, not a doubling backoff (at most <see cref="MaxFastRetransmits"/>).
    /// </summary>
    public int FastRetransmits { get; init; }

    /// <summary>The fixed gap between the <see cref="FastRetransmits"/> first retransmissions of a flight (100 ms).</summary>
    public TimeSpan FastRetransmitInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The bound of <see cref="FastRetransmits"/>: a flight is sent at most this many times on the short schedule.</summary>
    public const int MaxFastRetransmits = 20;

    /// <summary>The replay window in packets (at least 2048; WireGuard's 8128 by default).</summary>
    public int ReplayWindowSize { get; init; } = ReplayWindow.DefaultSize;

    /// <summary>
    /// A sanity bound: an inbound counter more than this far above the highest accepted one is dropped
    /// unopened (no honest peer loses 16 million datagrams in a row).
    /// </summary>
    public ulong MaxCounterLead { get; init; } = 1UL << 24;

    /// <summary>
    /// Counters sealed per session before it must end (re-key); inbound counters at or past it are refused.
    /// Both sides must use the same value; WireGuard's RejectAfterMessages by default.
    /// </summary>
    public ulong RejectAfterMessages { get; init; } = ReplayWindow.DefaultRejectLimit;

    /// <summary>
    /// Who may have the session, asked once the handshake has authenticated the peer and before anyone can use the
    /// session (null: anyone who completes the handshake). A refusal fails the handshake with the sentence, so a path
    /// manager that runs one handshake per candidate address drops that candidate and goes on with the others.
    /// </summary>
    public PeerAdmission? AdmitPeer { get; init; }

    /// <summary>
    /// Test seam, never public: where this side's session ids come from (null, the default: 32 random bits each).
    /// The transcript vector fixes them so that every datagram of a session is reproducible.
    /// </summary>
    internal Func<uint>? SessionIds { get; init; }

    internal void Validate()
    {
        if (HandshakeTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "The handshake timeout must be positive.");
        if (RetransmitInitial <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(RetransmitInitial), RetransmitInitial, "The retransmission interval must be positive.");
        if (RetransmitMax < RetransmitInitial)
            throw new ArgumentOutOfRangeException(nameof(RetransmitMax), RetransmitMax, "The retransmission cap must be at least the first interval.");
        if (FastRetransmits is < 0 or > MaxFastRetransmits)
            throw new ArgumentOutOfRangeException(nameof(FastRetransmits), FastRetransmits, $"The fast retransmissions must be between 0 and {MaxFastRetransmits}.");
        if (FastRetransmitInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(FastRetransmitInterval), FastRetransmitInterval, "The fast retransmission interval must be positive.");
        if (ReplayWindowSize < 2048)
            throw new ArgumentOutOfRangeException(nameof(ReplayWindowSize), ReplayWindowSize, "The replay window must hold at least 2048 packets.");
        if (MaxCounterLead == 0)
            throw new ArgumentOutOfRangeException(nameof(MaxCounterLead), MaxCounterLead, "The counter lead must be positive.");
        if (RejectAfterMessages == 0 || RejectAfterMessages > ReplayWindow.DefaultRejectLimit)
            throw new ArgumentOutOfRangeException(nameof(RejectAfterMessages), RejectAfterMessages, "The message limit must be between 1 and 2^64 - 2^13 - 1.");
    }

    /// <summary>The shortest gap between two retransmissions of a flight.</summary>
    internal TimeSpan ShortestRetransmit => FastRetransmits > 0 && FastRetransmitInterval < RetransmitInitial ? FastRetransmitInterval : RetransmitInitial;

    internal static int MaxPacketSize => PacketCodec.MaxDatagramSize;
}
