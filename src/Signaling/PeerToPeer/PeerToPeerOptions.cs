using SecretChat.Security.Datagrams;

namespace SecretChat.Signaling.PeerToPeer;

/// <summary>Timings of a p2p session: punching (<see cref="PunchAttempt"/>) and keeping it on the best path (<see cref="PeerPath"/>).</summary>
public sealed record PeerToPeerOptions
{
    /// <summary>The defaults, used when no options are given.</summary>
    public static PeerToPeerOptions Default { get; } = new();

    /// <summary>The gap between two rounds of punch probes toward every peer candidate (100 ms).</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How many rounds of punch probes an attempt sends (20: two seconds at the default interval).</summary>
    public int ProbeRounds { get; init; } = 20;

    /// <summary>
    /// How many times a handshake flight toward a peer candidate is resent <see cref="ProbeInterval"/> apart before its
    /// doubling backoff starts (10: one second; at most <see cref="DatagramChannelOptions.MaxFastRetransmits"/>). The
    /// first flight often dies at the peer's NAT before the peer's own punch opens it, and a lost flight should cost a
    /// probe interval, not 250 ms doubling; the relay's handshake keeps the plain backoff.
    /// </summary>
    public int HandshakeFastRetransmits { get; init; } = 10;

    /// <summary>How long the direct path has before the relay is tried; null never relays (what the best peers use: 2 s).</summary>
    public TimeSpan? RelayFallback { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>While relayed, the first wait before probing the direct path again (1 s); it doubles up to <see cref="LastUpgradeInterval"/>.</summary>
    public TimeSpan FirstUpgradeTry { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The cap of the doubling wait between upgrade tries (16 s).</summary>
    public TimeSpan LastUpgradeInterval { get; init; } = TimeSpan.FromSeconds(16);

    /// <summary>Talking into a silent direct path this long (sending, hearing nothing) means it has died (3 s).</summary>
    public TimeSpan DirectSilence { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A peer reaching us through the relay is followed once the direct path has been quiet this long (1 s).</summary>
    public TimeSpan FollowToRelayAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When the signaling server offers a TURN relay: how long the relay fallback waits for its allocation, still under
    /// way, before it takes the signaling server's relay instead (3 s).
    /// </summary>
    public TimeSpan TurnWait { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How often a direct path is checked for silence (1 s).</summary>
    public TimeSpan HealthCheck { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Easy NAT to hard NAT (docs/PROTOCOL.md §11.6): how many extra sockets the hard side (its NAT maps per destination)
    /// opens and punches from toward the easy side (256; 0 turns the birthday punch off on this side).
    /// </summary>
    public int BirthdaySockets { get; init; } = 256;

    /// <summary>How many times each of the hard side's sockets punches, <see cref="BirthdayPunchInterval"/> apart (3).</summary>
    public int BirthdayPunchRounds { get; init; } = 3;

    /// <summary>The gap between two of the hard side's punch rounds (1 s).</summary>
    public TimeSpan BirthdayPunchInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many random ports of the hard side's public address the easy side probes, each once (2,048: with 256 sockets
    /// among ~64,500 ports that finds one 9,997 times in 10,000, where Tailscale's 1,024 miss one time in 60; the first
    /// hit comes after about 250 probes either way; 0 turns the birthday punch off on this side).
    /// </summary>
    public int BirthdayProbes { get; init; } = 2048;

    /// <summary>The easy side's probes per second (250: the 2,048 take about 8 s, a hit usually within the first 2).</summary>
    public int BirthdayProbesPerSecond { get; init; } = 250;

    /// <summary>How long the hard side's sockets stay open waiting for a hit (30 s: Linux keeps an unanswered UDP mapping as long).</summary>
    public TimeSpan BirthdayWindow { get; init; } = TimeSpan.FromSeconds(30);
}
