using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using SecretChat.Framing.Packets;

namespace SecretChat.Security.Datagrams;

// The handshake over datagrams (protocol 2). Each side numbers what it sends: its hello is message 0, and the mode's
// messages are numbered 1, 2, 3... across both sides in the order the handshake exchanges them. The initiator's first
// flight is its hello and its first handshake message; the responder answers with its hello and its next message.
// What each side sends is a flight; resending it is the job of .Retransmit.cs.
public sealed partial class SecureDatagramChannel
{
    private IHandshake? _handshake;
    private uint _peerSessionId;
    private int _lastPeerIndex = -1;     // the last peer message processed (0: its hello), -1 before any
    private int _messagesExchanged;      // the mode's handshake messages so far, both directions
    private int _firstWrittenIndex = -1; // the index of this side's first handshake message (-1 before it)
    private bool _helloConfirmed;        // the peer answered a flight of ours that carried the hello

    private void StartAsInitiator()
    {
        lock (_gate)
        {
            _phase = Phase.Handshaking;
            StartTimeout();
            if (!TryCreateHandshake(_localHello))
                return;
            Advance(sendHello: true);
        }
    }

    private bool TryCreateHandshake(ProtocolHello initiator)
    {
        try
        {
            _handshake = _security.CreateHandshake(Role, ProtocolHello.Prologue(initiator));
            return true;
        }
        catch (HandshakeException e)
        {
            Fail(e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or CryptographicException)
        {
            Fail(new HandshakeException($"The {_security.Info.Id} handshake could not start: {e.Message}", e));
        }
        return false;
    }

    private void OnHandshakePacket(IPEndPoint from, PacketHeader header, ReadOnlySpan<byte> body)
    {
        if (_phase == Phase.Listening)
        {
            if (header.MessageIndex != 0 || !ProtocolHello.TryParse(body, out var first))
            {
                Drop(DatagramDropReason.Unexpected);
                return;
            }
            // The first peer whose hello parses gets the listener; everyone else is a stranger from now on.
            _remote = from;
            _peerSessionId = header.SessionId;
            _phase = Phase.Handshaking;
            StartTimeout();
            OnPeerHello(first);
            return;
        }
        if (!from.Equals(_remote))
        {
            Drop(DatagramDropReason.Stranger);
            return;
        }
        if (_phase == Phase.Handshaking && _transcript.PeerHello is null)
        {
            if (header.MessageIndex != 0 || !ProtocolHello.TryParse(body, out var answer))
            {
                Drop(DatagramDropReason.Unexpected);
                return;
            }
            _peerSessionId = header.SessionId;
            OnPeerHello(answer);
            return;
        }
        if (header.SessionId != _peerSessionId)
        {
            // A hello of a new session never reaches here once established: it starts a second handshake (.Restart.cs).
            Drop(DatagramDropReason.UnknownSession);
            return;
        }
        var index = header.MessageIndex & ~FragmentFlag;
        if (index <= _lastPeerIndex)
        {
            OnDuplicate((byte)index);
            return;
        }
        if (_phase != Phase.Handshaking || _handshake!.Status != HandshakeStatus.MustRead || index != _messagesExchanged + 1)
        {
            Drop(DatagramDropReason.Unexpected);
            return;
        }
        byte[]? reassembled = null;
        if (index != header.MessageIndex && !TryReassemble(index, body, out reassembled))
            return;
        try
        {
            _transcript.OnPeerPayload(_handshake.ReadMessage(reassembled ?? body), _handshake);
        }
        catch (Exception e) when (e is HandshakeException or InvalidOperationException or ArgumentException or FormatException or CryptographicException)
        {
            // The peer learns that much (the details stay here); the handshake is dead after a failed read.
            SendReject("The peer could not verify this side's handshake.");
            Fail(e as HandshakeException ?? new HandshakeException($"The peer's handshake message is invalid: {e.Message}", e));
            return;
        }
        OnFlightAnswered();
        _messagesExchanged++;
        _lastPeerIndex = index;
        if (_firstWrittenIndex >= 0 && index > _firstWrittenIndex)
            _helloConfirmed = true;
        // The responder's hello travels in each of its flights until the initiator answered one: the hello alone may
        // be lost, and the initiator cannot read the responder's messages without it.
        Advance(sendHello: Role == HandshakeRole.Responder && !_helloConfirmed);
    }

    private void OnPeerHello(ProtocolHello peer)
    {
        try
        {
            _transcript.OnPeerHello(peer, _localHello);
        }
        catch (HandshakeException e)
        {
            // Tell the peer in its own words (the same check from its side), so it fails at once with the reason
            // instead of timing out; a version-1 peer shows a reject's text too.
            SendReject(ReasonFromPeersSide(peer) ?? "The peer refused the handshake.");
            Fail(e);
            return;
        }
        OnFlightAnswered();
        _lastPeerIndex = 0;
        if (Role == HandshakeRole.Responder && !TryCreateHandshake(peer))
            return;
        // The responder answers with its hello together with its next handshake message (not alone: the initiator
        // needs both, and resends its own flight until it has them).
        Advance(sendHello: Role == HandshakeRole.Responder);
    }

    /// <summary>Writes while it is this side's turn, sends that as the new flight, and establishes once complete.</summary>
    private void Advance(bool sendHello)
    {
        var handshake = _handshake!;
        var flight = new List<byte[]>(2);
        try
        {
            while (handshake.Status == HandshakeStatus.MustWrite)
            {
                var output = new ArrayBufferWriter<byte>();
                handshake.WriteMessage(_transcript.NextPayload(handshake, _localHello, _options.Greeting), output);
                if (output.WrittenCount == 0)
                    throw new HandshakeException($"The {_security.Info.Id} handshake wrote an empty message.");
                if (_messagesExchanged >= FragmentFlag - 1)
                    throw new HandshakeException($"The {_security.Info.Id} handshake has too many messages for datagrams.");
                _messagesExchanged++;
                if (_firstWrittenIndex < 0)
                    _firstWrittenIndex = _messagesExchanged;
                if (output.WrittenCount <= MaxWholeMessageSize)
                    flight.Add(Packet(PacketHeader.Handshake(LocalSessionId, (byte)_messagesExchanged), output.WrittenSpan));
                else
                    AddFragments(flight, _messagesExchanged, output.WrittenSpan);
            }
        }
        catch (Exception e) when (e is HandshakeException or InvalidOperationException or ArgumentException or CryptographicException)
        {
            Fail(e as HandshakeException ?? new HandshakeException($"The {_security.Info.Id} handshake failed: {e.Message}", e));
            return;
        }

        // A hello goes out only with a handshake message (the initiator's first flight always has one in noise and
        // pseudo; a mode whose responder writes first gets the initiator's hello alone).
        if (sendHello && (flight.Count > 0 || Role == HandshakeRole.Initiator))
            flight.Insert(0, HelloPacket());
        if (flight.Count > 0)
            _flightAnswers = _lastPeerIndex;
        // The initiator's handshake cannot complete before the responder's hello came (it reads the echo first).
        if (handshake.Status == HandshakeStatus.Complete && _transcript.PeerHello is not null)
        {
            // The peer is admitted before this side's last message leaves: a refused peer (or a path that lost to
            // another, see DatagramChannelOptions.AdmitPeer) never completes its side of a session this side dropped.
            Establish();
            if (_phase == Phase.Established && flight.Count > 0)
                SendFlight([.. flight]);
            return;
        }
        // Waiting for the peer: a new flight restarts the backoff; otherwise the old flight keeps its timer.
        if (flight.Count > 0)
        {
            SendFlight([.. flight]);
            _retransmitAttempt = 0;
            ArmRetransmit();
        }
    }

    private void Establish()
    {
        SecureSession session;
        try
        {
            _transcript.EnsureConfirmed();
            session = _handshake!.Split();
        }
        catch (HandshakeException e)
        {
            Fail(e);
            return;
        }
        catch (Exception e) when (e is InvalidOperationException or CryptographicException)
        {
            Fail(new HandshakeException($"The {_security.Info.Id} handshake could not hand over its keys: {e.Message}", e));
            return;
        }
        StopHandshake();
        _transcript.Complete(session);
        if (!TryAdmit(session))
            return;
        _session = session;
        _window = new Replay.ReplayWindow(_options.ReplayWindowSize, _options.RejectAfterMessages);
        _phase = Phase.Established;
        _established.TrySetResult(session);
    }

    private void OnRejectPacket(IPEndPoint from, PacketHeader header, ReadOnlySpan<byte> body)
    {
        if (_phase != Phase.Handshaking)
        {
            // In the clear, so it never touches an established session (nor a listener that has no peer yet).
            Drop(_phase == Phase.Listening ? DatagramDropReason.Stranger : DatagramDropReason.Unexpected);
            return;
        }
        if (!AnswersOurHandshake(from, header))
            return;
        Fail(new HandshakeException($"The peer refused the handshake: {Printable(body)}"));
    }

    private void Fail(Exception error) => Terminate(error);

    /// <summary>
    /// Whether a packet in the clear (a Reject or a Cookie) answers this side's handshake: from the peer's address and
    /// for this side's session. Otherwise it is dropped and counted. Under the lock.
    /// </summary>
    private bool AnswersOurHandshake(IPEndPoint from, in PacketHeader header)
    {
        if (!from.Equals(_remote))
        {
            Drop(DatagramDropReason.Stranger);
            return false;
        }
        if (header.SessionId != LocalSessionId)
        {
            Drop(DatagramDropReason.UnknownSession);
            return false;
        }
        return true;
    }

    private void SendReject(string reason)
    {
        var bytes = Encoding.UTF8.GetBytes(reason);
        SendPacket(Packet(PacketHeader.Reject(_peerSessionId), bytes.AsSpan(0, Math.Min(bytes.Length, PacketCodec.MaxRejectReasonSize))));
    }

    private byte[] HelloPacket() => Role == HandshakeRole.Initiator
        ? InitiatorHelloPacket()
        : Packet(PacketHeader.Handshake(LocalSessionId, 0), _localHello.Bytes);

    private static byte[] Packet(PacketHeader header, ReadOnlySpan<byte> body)
    {
        var packet = new byte[PacketCodec.EncodedSize(header, body.Length)];
        PacketCodec.Encode(header, body, packet);
        return packet;
    }

    private string? ReasonFromPeersSide(ProtocolHello peer)
    {
        try
        {
            peer.Negotiate(_localHello);
            return null;
        }
        catch (HandshakeException e)
        {
            return e.Message;
        }
    }

    /// <summary>The reason from an unauthenticated reject, made safe to show: no control characters, bounded.</summary>
    private static string Printable(ReadOnlySpan<byte> reason)
    {
        var text = Encoding.UTF8.GetString(reason);
        var builder = new StringBuilder(Math.Min(text.Length, 200));
        foreach (var c in text)
        {
            if (builder.Length == 200)
                break;
            builder.Append(char.IsControl(c) ? ' ' : c);
        }
        var printable = builder.ToString().Trim();
        return printable.Length == 0 ? "no reason given." : printable;
    }
}
