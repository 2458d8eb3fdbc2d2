using System.Net;
using SecretChat.Framing.Packets;

namespace SecretChat.Security.Datagrams;

// Return routability, the initiator's side: the initiator's hello carries a cookie field (all zero at first). A listener
// answers a hello from a source that has not proved itself with a Cookie packet and keeps nothing; the initiator puts
// that cookie in its hello and resends its flight, and only then does the listener keep state for it. A responder that
// is not a listener (a punched p2p session) ignores the field and never sends a cookie.
public sealed partial class SecureDatagramChannel
{
    private AddressCookie _cookie;                                         // none until a listener sends one
    private DateTimeOffset? _lastCookieResend;                             // null: none yet

    /// <summary>The cookie this initiator's hello carries (none until the listener asked for one).</summary>
    internal AddressCookie Cookie
    {
        get
        {
            lock (_gate)
                return _cookie;
        }
    }

    private byte[] InitiatorHelloPacket()
    {
        var hello = _localHello.Bytes;
        var body = new byte[PacketCodec.CookieSize + hello.Length];
        _cookie.Write(body);
        hello.CopyTo(body.AsSpan(PacketCodec.CookieSize));
        return Packet(PacketHeader.InitiatorHello(LocalSessionId), body);
    }

    /// <summary>A listener asks for return routability: resend the flight with its cookie. Under the lock.</summary>
    private void OnCookiePacket(IPEndPoint from, PacketHeader header, ReadOnlySpan<byte> body)
    {
        // Only while our hello is unanswered: after the peer's hello came, the listener has our source proved.
        if (Role != HandshakeRole.Initiator || _phase != Phase.Handshaking || _transcript.PeerHello is not null)
        {
            Drop(DatagramDropReason.Unexpected);
            return;
        }
        if (!AnswersOurHandshake(from, header))
            return;
        var cookie = AddressCookie.Read(body);
        if (cookie.IsNone)
        {
            Drop(DatagramDropReason.Malformed);
            return;
        }
        var changed = !cookie.Matches(_cookie);
        _cookie = cookie;
        for (var i = 0; i < _flight.Length; i++)
        {
            if (_flight[i][0] == (byte)PacketType.InitiatorHello)
                _flight[i] = InitiatorHelloPacket();
        }
        // At once, but at most once per half retransmit interval: a flood of (forged) cookies makes this side send no
        // more than its retransmissions would; otherwise the next retransmission carries the cookie.
        var now = _scheduler.Now;
        if (changed && (_lastCookieResend is not { } last || now - last >= _options.RetransmitInitial / 2))
        {
            _lastCookieResend = now;
            Resend();
        }
    }
}
