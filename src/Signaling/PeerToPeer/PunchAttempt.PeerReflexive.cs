using System.Net;
using SecretChat.Framing.Packets;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Transport;

namespace SecretChat.Signaling.PeerToPeer;

// Peer-reflexive candidates (ICE's prflx), the responder's side: a peer behind a NAT that maps each destination to its
// own port (symmetric) reaches us from a port nobody announced. Its hello from such an address is answered with a
// return-routability cookie only (21 bytes, smaller than any hello, nothing kept); a hello that brings the cookie for its
// source gets a responder of its own, and that address is selected only if the handshake completes with a peer this
// side admits, like any other candidate. Unauthenticated datagrams never select anything: a data packet from an
// unannounced address is a stranger's until a session exists (then the session's path policy decides, on authenticated
// packets only).
public sealed partial class PunchAttempt
{
    /// <summary>At most this many peer-reflexive handshakes run at once: a stranger who proves its own address can take them for one handshake timeout each, never the announced candidates or the relay.</summary>
    internal const int MaxPeerReflexiveHandshakes = 4;

    private readonly List<SecureDatagramChannel> _reflexive = [];
    private SourceCookies? _reflexiveCookies;
    private long _reflexiveCookiesSent;

    /// <summary>Cookies sent to hellos from unannounced addresses that had not proved their source (each answer smaller than the hello).</summary>
    internal long PeerReflexiveCookiesSent => Interlocked.Read(ref _reflexiveCookiesSent);

    /// <summary>Handshakes started with a proven, unannounced address (peer-reflexive candidates).</summary>
    internal int PeerReflexiveHandshakes { get; private set; }

    /// <summary>
    /// Under the lock, for a session packet from an address that is neither a peer candidate nor the relay, before any
    /// session: the peer-reflexive responder it belongs to, or null (a stranger's). A hello without a valid cookie for
    /// its source gets <paramref name="cookie"/> to send back and nothing else.
    /// </summary>
    private SecureDatagramChannel? PeerReflexiveLocked(IPEndPoint from, in PacketHeader header, ReadOnlySpan<byte> datagram, out byte[]? cookie)
    {
        cookie = null;
        if (Role != HandshakeRole.Responder || _newResponder is null)
            return null; // The initiator nominates the path: its handshakes go to announced candidates only.
        foreach (var responder in _reflexive)
        {
            if (from.Equals(responder.RemoteEndPoint) && !responder.Established.IsFaulted)
                return responder;
        }
        if (header.Type != PacketType.InitiatorHello || datagram.Length < PacketCodec.MinInitiatorHelloSize)
            return null;
        _reflexiveCookies ??= new SourceCookies(SourceCookies.DefaultRotation, _scheduler.Now);
        var presented = AddressCookie.Read(datagram.Slice(PacketCodec.InitiatorHelloHeaderSize, PacketCodec.CookieSize));
        if (!_reflexiveCookies.IsValid(presented, from, _scheduler.Now))
        {
            cookie = new byte[PacketCodec.CookiePacketSize];
            PacketCodec.WriteHeader(PacketHeader.Cookie(header.SessionId), cookie);
            _reflexiveCookies.For(from, _scheduler.Now).Write(cookie.AsSpan(PacketCodec.CookieHeaderSize));
            return null;
        }
        _reflexive.RemoveAll(r => r.Established.IsFaulted);
        if (_reflexive.Count >= MaxPeerReflexiveHandshakes)
            return null;
        var started = _newResponder();
        _reflexive.Add(started);
        _candidates.Add(started);
        PeerReflexiveHandshakes++;
        Interlocked.Exchange(ref _candidateJoined, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return started;
    }

    private void SendCookie(byte[] cookie, IPEndPoint to)
    {
        Interlocked.Increment(ref _reflexiveCookiesSent);
        try
        {
            _ = _socket.SendAsync(cookie, to);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            // Lost: the initiator's next retransmission asks again.
        }
    }

    /// <summary>The session's address when the handshake selected a peer-reflexive one (not announced, not a relay), for the path manager to keep probing.</summary>
    private IReadOnlyList<IPEndPoint> WithPeerReflexive(IPEndPoint? selected) =>
        selected is not null && !PeerCandidates.Contains(selected) && !IsRelay(selected) ? [.. PeerCandidates, selected] : PeerCandidates;
}
