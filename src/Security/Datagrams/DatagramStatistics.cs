namespace SecretChat.Security.Datagrams;

/// <summary>Why an inbound datagram was dropped without any effect.</summary>
public enum DatagramDropReason
{
    /// <summary>Empty, truncated or oversize.</summary>
    Malformed,

    /// <summary>The type byte is not one of ours.</summary>
    UnknownType,

    /// <summary>A handshake or reject packet from an address that is not the peer's.</summary>
    Stranger,

    /// <summary>A session id that is not this session's (or not the peer's handshake).</summary>
    UnknownSession,

    /// <summary>A data packet before the session exists.</summary>
    NotEstablished,

    /// <summary>The tag did not verify: modified, forged, or sealed under another key.</summary>
    AuthenticationFailed,

    /// <summary>The counter was already accepted.</summary>
    Replayed,

    /// <summary>The counter is older than the replay window.</summary>
    TooOld,

    /// <summary>The counter is further ahead than <see cref="DatagramChannelOptions.MaxCounterLead"/> or past the message limit.</summary>
    TooFarAhead,

    /// <summary>A handshake packet already processed, that needed no answer (or came too soon after the last answer).</summary>
    DuplicateHandshake,

    /// <summary>A handshake message out of turn, an unparsable hello, a reject after the handshake, and the like.</summary>
    Unexpected,

    /// <summary>An authenticated payload arrived while nobody subscribed to <see cref="SecureDatagramChannel.Payloads"/>.</summary>
    NoSubscriber,

    /// <summary>
    /// A hello that would start a second handshake beside the established session, refused: one is already running,
    /// or the last began less than a second ago; or a second handshake that completed with another peer's key.
    /// </summary>
    SecondHandshakeRefused,
}

/// <summary>A snapshot of a channel's counters.</summary>
public sealed class DatagramStatistics
{
    private readonly long[] _dropped;

    internal DatagramStatistics(long received, long delivered, long sent, long retransmitted, long roamed, long sendFailures, long[] dropped)
    {
        Received = received;
        Delivered = delivered;
        Sent = sent;
        Retransmitted = retransmitted;
        Roamed = roamed;
        SendFailures = sendFailures;
        _dropped = dropped;
    }

    /// <summary>Datagrams handed to <see cref="SecureDatagramChannel.Receive(System.Net.IPEndPoint, ReadOnlySpan{byte})"/>.</summary>
    public long Received { get; }

    /// <summary>Authenticated payloads emitted by <see cref="SecureDatagramChannel.Payloads"/>.</summary>
    public long Delivered { get; }

    /// <summary>Datagrams handed to the send delegate (handshake and data, retransmissions included).</summary>
    public long Sent { get; }

    /// <summary>Handshake packets sent again (by the timer or in answer to a duplicate).</summary>
    public long Retransmitted { get; }

    /// <summary>Times an authenticated packet moved <see cref="SecureDatagramChannel.RemoteEndPoint"/>.</summary>
    public long Roamed { get; }

    /// <summary>Handshake sends that failed (treated as lost datagrams).</summary>
    public long SendFailures { get; }

    /// <summary>Datagrams dropped for <paramref name="reason"/>.</summary>
    public long Dropped(DatagramDropReason reason) => _dropped[(int)reason];

    /// <summary>All dropped datagrams.</summary>
    public long TotalDropped => _dropped.Sum();

    /// <summary>The counters in one line, for logs; drop reasons with a zero count are left out.</summary>
    public override string ToString() =>
        $"received {Received}, delivered {Delivered}, sent {Sent}, retransmitted {Retransmitted}, roamed {Roamed}, dropped " +
        string.Join(", ", Enum.GetValues<DatagramDropReason>().Where(r => Dropped(r) != 0).Select(r => $"{r} {Dropped(r)}"));
}
