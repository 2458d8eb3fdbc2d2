using System.Net;
using SecretChat.Framing.Packets;

namespace SecretChat.Security.Datagrams;

// A second handshake beside the established session (as WireGuard runs a new handshake beside the current keypair).
// A hello is unauthenticated and its source address trivial to forge, so it changes nothing by itself: an initiator's
// hello with a new session id from the peer's current address starts a second handshake in its own responder channel,
// while this session keeps sealing, opening and delivering. Only when that handshake completes, is admitted
// (DatagramChannelOptions.AdmitPeer) and authenticated the same static key as this session's peer does it replace this
// session: this channel then ends with a PeerRestartedException and hands its packets on to the new one, which
// TakeSuccessor gives to whoever accepts peers. A second handshake that fails, times out or authenticates another key
// changes nothing. One runs at a time, and a new one may displace it only a second after it began, so a flood of
// forged hellos costs at most one responder handshake a second.
public sealed partial class SecureDatagramChannel
{
    /// <summary>How soon after one second handshake began another hello may replace it.</summary>
    internal static readonly TimeSpan SecondHandshakeSpacing = TimeSpan.FromSeconds(1);

    private SecureDatagramChannel? _second;       // the second handshake running beside the session, if any
    private DateTimeOffset _secondStarted;
    private SecureDatagramChannel? _successor;    // the session that replaced this one (a restarted peer)
    private bool _successorTaken;

    /// <summary>
    /// The session that replaced this one when the peer restarted (<see cref="Payloads"/> failed with
    /// <see cref="PeerRestartedException"/>): an established channel with the same peer, whose datagrams this channel
    /// keeps handing on until it is disposed, so wire the transport to the successor before disposing this one. The
    /// caller owns it from now on (else it is disposed with this channel); null when there is none, or after the first call.
    /// </summary>
    public SecureDatagramChannel? TakeSuccessor()
    {
        lock (_gate)
        {
            if (_successorTaken)
                return null;
            _successorTaken = _successor is not null;
            return _successor;
        }
    }

    /// <summary>
    /// Handles the packet here if it belongs to a second handshake (or, after a restart, to the successor): true then.
    /// The second handshake is fed outside this channel's lock.
    /// </summary>
    private bool TryRouteToSecondHandshake(IPEndPoint from, in PacketHeader header, ReadOnlySpan<byte> datagram)
    {
        SecureDatagramChannel? second;
        lock (_gate)
        {
            if (!RoutesToSecondHandshake(from, header, datagram, out second))
                return false;
            _received++;
        }
        if (second is not null)
            FeedSecondHandshake(second, from, header, datagram);
        return true;
    }

    /// <summary>Under the lock: whether the packet is the second handshake's, and which channel gets it (null: dropped here).</summary>
    private bool RoutesToSecondHandshake(IPEndPoint from, in PacketHeader header, ReadOnlySpan<byte> datagram, out SecureDatagramChannel? second)
    {
        second = null;
        if (_phase == Phase.Closed)
        {
            // Replaced by a restarted peer's session: everything goes on to it until this channel is disposed.
            second = _successor;
            return second is not null;
        }
        if (_phase != Phase.Established || !from.Equals(_remote))
            return false;
        if (_second is { } running && !running.Established.IsCompleted && IsForSecondHandshake(running, header))
        {
            second = running;
            return true;
        }
        // The initiator's hello: an InitiatorHello (its cookie field is the listener's business), or message 0.
        var isHello = header.Type == PacketType.InitiatorHello || (header.Type == PacketType.Handshake && header.MessageIndex == 0);
        if (!isHello || header.SessionId == _peerSessionId)
            return false;
        var helloBody = datagram[header.Size..];
        if (header.Type == PacketType.InitiatorHello)
            helloBody = helloBody.Length >= PacketCodec.CookieSize ? helloBody[PacketCodec.CookieSize..] : [];
        // Only an initiator's hello that this side could answer starts a session (no reject goes out for the others);
        // anything else of an unknown session is dropped as before.
        if (!ProtocolHello.TryParse(helloBody, out var hello) || !CouldAnswer(hello))
            return false;
        var now = _scheduler.Now;
        if (_second is { } pending && !pending.Established.IsCompleted && now - _secondStarted < SecondHandshakeSpacing)
        {
            Drop(DatagramDropReason.SecondHandshakeRefused);
            return true;
        }
        _second?.Dispose();
        _second = new SecureDatagramChannel(HandshakeRole.Responder, _security, null, _send, _options, _scheduler);
        _secondStarted = now;
        second = _second;
        return true;
    }

    private bool CouldAnswer(ProtocolHello hello)
    {
        try
        {
            ProtocolHello.Local(_security, HandshakeRole.Responder).Negotiate(hello);
            return true;
        }
        catch (HandshakeException)
        {
            return false;
        }
    }

    /// <summary>The running second handshake's packets: its peer's handshake packets, rejects and data for it.</summary>
    private static bool IsForSecondHandshake(SecureDatagramChannel running, in PacketHeader header)
    {
        // Lock order: this channel, then its second handshake (which never calls back into this one).
        lock (running._gate)
        {
            return header.Type switch
            {
                PacketType.Handshake or PacketType.InitiatorHello => running._phase != Phase.Listening && header.SessionId == running._peerSessionId,
                _ => header.SessionId == running.LocalSessionId,
            };
        }
    }

    /// <summary>Feeds the second handshake, then, once it has completed, lets it replace this session or drops it.</summary>
    private void FeedSecondHandshake(SecureDatagramChannel second, IPEndPoint from, in PacketHeader header, ReadOnlySpan<byte> datagram)
    {
        second.Receive(from, header, datagram);
        if (!second.Established.IsCompleted)
            return;
        lock (_gate)
        {
            if (_second != second || _phase != Phase.Established)
                return;
            _second = null;
            if (!second.Established.IsCompletedSuccessfully)
                return; // Failed: it told the peer where it could; this session goes on untouched.
            if (!second.Established.Result.RemoteStaticKey.Span.SequenceEqual(_session!.RemoteStaticKey.Span))
            {
                // Someone else at the peer's address (or the peer with a new identity): not this session's peer.
                Drop(DatagramDropReason.SecondHandshakeRefused);
                second.Dispose();
                return;
            }
            _successor = second;
            Terminate(new PeerRestartedException());
        }
    }

    /// <summary>Under the lock, when the channel ends: a second handshake still running ends with it.</summary>
    private void EndSecondHandshake()
    {
        _second?.Dispose();
        _second = null;
    }

    /// <summary>Under the lock, when the channel is disposed: a successor nobody took is disposed too.</summary>
    private void DisposeUntakenSuccessor()
    {
        if (!_successorTaken)
            _successor?.Dispose();
        _successor = null;
    }

    /// <summary>
    /// Under the lock, once this side's handshake completed: asks <see cref="DatagramChannelOptions.AdmitPeer"/> whether
    /// this peer may have the session; a refusal (or an error in the check) fails the handshake with its sentence.
    /// </summary>
    private bool TryAdmit(SecureSession session)
    {
        if (_options.AdmitPeer is not { } admit)
            return true;
        string? refusal;
        try
        {
            refusal = admit(session);
        }
#pragma warning disable CA1031 // The check is the caller's code: whatever it throws fails this handshake, not Receive.
        catch (Exception e)
#pragma warning restore CA1031
        {
            refusal = e.Message;
        }
        if (refusal is null)
            return true;
        session.Dispose();
        Fail(new PeerRefusedException(refusal));
        return false;
    }
}
