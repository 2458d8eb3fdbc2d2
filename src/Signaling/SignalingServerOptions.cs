namespace SecretChat.Signaling;

/// <summary>Limits and timings of the signaling server; the defaults suit a small public server.</summary>
public sealed record SignalingServerOptions
{
    /// <summary>A room nobody has sent anything to for this long is removed (default 60 s).</summary>
    public TimeSpan RoomTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a nameplate (a code's number) stays claimed at most after the server allocated it (default 10 minutes):
    /// then its room is removed and the number may be allocated again.
    /// </summary>
    public TimeSpan NameplateLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often expired rooms and idle rate-limit buckets are swept (default 5 s).</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Open rooms at most; more Registers for new rooms get "server full" (default 10 000).</summary>
    public int MaxRooms { get; init; } = 10_000;

    /// <summary>
    /// Rooms one source may have open at once (default 8): an IPv4 address, or an IPv6 /64. Counted only after the source
    /// proved its address with a cookie, so forged sources cannot use up anyone's share.
    /// </summary>
    public int MaxRoomsPerSource { get; init; } = 8;

    /// <summary>How often the secret behind address cookies changes (default 2 min); a cookie stays valid for one to two of these.</summary>
    public TimeSpan CookieRotation { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Host candidates a peer may announce (default 8).</summary>
    public int MaxCandidatesPerPeer { get; init; } = 8;

    /// <summary>Told to both peers in PeerInfo: punch this long after receiving it (default 0: now).</summary>
    public TimeSpan PunchDelay { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// Token bucket per source IP address (IPv6: per /64): datagrams per second, sustained (default 10). Members' own packets
    /// (KeepAlive and Leave with their token, and relayed datagrams) do not count against it.
    /// </summary>
    public double RatePerSecond { get; init; } = 10;

    /// <summary>Token bucket per source IP address (IPv6: per /64): burst size (default 20).</summary>
    public double RateBurst { get; init; } = 20;

    /// <summary>Source addresses tracked at once; beyond it new sources share one bucket (default 10 000).</summary>
    public int MaxTrackedSources { get; init; } = 10_000;

    /// <summary>
    /// Whether a server bound to a wildcard address (0.0.0.0, or :: for both families) sends every reply from the address
    /// the client asked at (IP_PKTINFO; Linux), so that the client's NAT and firewall take it. Null (the default): when
    /// the machine has more than one address of a family it serves, as seen at start. Ignored for a specific address.
    /// </summary>
    public bool? AnswerFromAskedAddress { get; init; }

    /// <summary>Whether peers may relay session datagrams through the server when no direct path works (default true).</summary>
    public bool RelayEnabled { get; init; } = true;

    /// <summary>
    /// Per room, both directions together: sustained relay rate in payload bytes per second (default 256 KiB/s: a chat with
    /// pasted text and the session's retransmissions never comes near it; a bulk transfer does).
    /// </summary>
    public long RelayBytesPerSecond { get; init; } = 256 * 1024;

    /// <summary>Per room: payload bytes that may be relayed at once above the rate (default 1 MiB, a large paste in one go).</summary>
    public long RelayBurstBytes { get; init; } = 1024 * 1024;

    /// <summary>Per room, for its whole life: payload bytes relayed at most (default 256 MiB).</summary>
    public long RelayTotalBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Largest payload the server relays in one datagram (default and most <see cref="SignalingCodec.MaxRelayPayloadBytes"/>, 1200).</summary>
    public int MaxRelayPayloadBytes { get; init; } = SignalingCodec.MaxRelayPayloadBytes;

    /// <summary>
    /// Whether a STUN Binding request may draw an answer larger than itself (default false). STUN has no cookie, so by
    /// default the server answers only requests the answer fits in: SOFTWARE is left out when it does not fit, and a
    /// request smaller than the bare answer (40 bytes over IPv4, 52 over IPv6; a plain 20-byte request, as
    /// <c>turnutils_stunclient</c> sends) gets nothing. Our own netcheck sends 52 bytes. True answers everyone, making the
    /// server a reflector of about 2x for forged sources.
    /// </summary>
    public bool StunAnswersMayExceedRequests { get; init; }

    /// <summary>SOFTWARE in STUN answers; null sends none.</summary>
    public string? Software { get; init; } = "SecretChat signal";

    /// <summary>
    /// Redis (<c>HOST:PORT</c>) that keeps the rooms, shared with every other node that names it: any node then accepts
    /// any registration, and a room's relay runs on the node that opened it. Null (the default) keeps the rooms in this
    /// process, with no Redis anywhere near it.
    /// </summary>
    public string? Redis { get; init; }

    /// <summary>
    /// This node's address as clients reach it, which other nodes name when they send a member here (a redirect to the
    /// room's relay) and which identifies the node in Redis; null (the default) is the address the server listens on.
    /// Only used with <see cref="Redis"/>.
    /// </summary>
    public System.Net.IPEndPoint? NodeAddress { get; init; }

    /// <summary>
    /// A TURN server whose credentials matched members get (default none: only the built-in relay). Peers then relay
    /// through it and fall back to the built-in relay only when their allocation fails.
    /// </summary>
    public TurnRelayOptions? Turn { get; init; }

    internal void Validate()
    {
        if (RoomTtl <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RoomTtl), RoomTtl, "Must be positive.");
        if (NameplateLifetime <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(NameplateLifetime), NameplateLifetime, "Must be positive.");
        if (SweepInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(SweepInterval), SweepInterval, "Must be positive.");
        if (MaxRooms < 1) throw new ArgumentOutOfRangeException(nameof(MaxRooms), MaxRooms, "Must be at least 1.");
        if (MaxRoomsPerSource < 1) throw new ArgumentOutOfRangeException(nameof(MaxRoomsPerSource), MaxRoomsPerSource, "Must be at least 1.");
        if (CookieRotation <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(CookieRotation), CookieRotation, "Must be positive.");
        if (MaxCandidatesPerPeer is < 0 or > SignalingCodec.MaxCandidates)
            throw new ArgumentOutOfRangeException(nameof(MaxCandidatesPerPeer), MaxCandidatesPerPeer, $"Must be 0–{SignalingCodec.MaxCandidates}.");
        if (PunchDelay < TimeSpan.Zero || PunchDelay.TotalMilliseconds > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(PunchDelay), PunchDelay, "Must be 0–65.535 s.");
        if (!(RatePerSecond > 0)) throw new ArgumentOutOfRangeException(nameof(RatePerSecond), RatePerSecond, "Must be positive.");
        if (!(RateBurst >= 1)) throw new ArgumentOutOfRangeException(nameof(RateBurst), RateBurst, "Must be at least 1.");
        if (RelayBytesPerSecond < 1) throw new ArgumentOutOfRangeException(nameof(RelayBytesPerSecond), RelayBytesPerSecond, "Must be at least 1.");
        if (MaxRelayPayloadBytes is < 1 or > SignalingCodec.MaxRelayPayloadBytes)
            throw new ArgumentOutOfRangeException(nameof(MaxRelayPayloadBytes), MaxRelayPayloadBytes, $"Must be 1–{SignalingCodec.MaxRelayPayloadBytes}.");
        if (RelayBurstBytes < MaxRelayPayloadBytes)
            throw new ArgumentOutOfRangeException(nameof(RelayBurstBytes), RelayBurstBytes, $"Must hold at least one datagram ({MaxRelayPayloadBytes} bytes).");
        if (RelayTotalBytes < 1) throw new ArgumentOutOfRangeException(nameof(RelayTotalBytes), RelayTotalBytes, "Must be at least 1.");
        if (MaxTrackedSources < 1) throw new ArgumentOutOfRangeException(nameof(MaxTrackedSources), MaxTrackedSources, "Must be at least 1.");
        Turn?.Validate();
    }
}
