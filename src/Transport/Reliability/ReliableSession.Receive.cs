namespace SecretChat.Transport.Reliability;

public sealed partial class ReliableSession
{
    private readonly InboundSegment?[] _reorder;   // by sequence % window, for (_receiveNext, _receiveNext + window)
    private long _receiveNext;         // the next sequence number to deliver; everything below arrived
    private int _outOfOrder;           // packets buffered above a hole
    private long? _peerCloseSequence;
    private bool _peerClosed;
    private byte[]? _assembly;         // the message being reassembled, in a pooled buffer that grows as fragments come
    private int _assemblyLength;
    private bool _skippingMessage;     // after a broken message, until the next FIRST fragment
    private bool _ackPending;
    private DateTimeOffset _ackDue;
    private bool _ackNow;

    /// <summary>
    /// Takes one authenticated payload from the peer. Malformed payloads are dropped and counted
    /// (<see cref="ReliabilityStatistics.MalformedDropped"/>); this method does not throw for bad input.
    /// </summary>
    public void Receive(ReadOnlySpan<byte> payload)
    {
        var flushAck = false;
        lock (_gate)
        {
            if (_disposed || _failure is not null)
                return;
            if (!ReliabilityPacket.TryDecode(payload, out var packet) || !TryValidate(packet, out var ack, out var sequence))
            {
                _malformed++;
                return;
            }
            var now = _scheduler.Now;
            _packetsReceived++;
            _lastReceived = now;
            ProcessAck(ack, packet, now);
            switch (packet.Type)
            {
                case ReliabilityPacketType.Data:
                case ReliabilityPacketType.Close:
                    Accept(sequence, packet, now);
                    break;
                case ReliabilityPacketType.KeepAlive:
                    _ackNow = true;
                    break;
            }
            if (_ackNow)
                SendAck(now);
            else if (_ackPending)
                flushAck = ScheduleAck(now);
            FillWindow();
        }
        Flush();
        // Queued only once the arrival is delivered: queueing wakes a pool thread, and that thread's ACK would take the
        // datagram channel's lock that the delivery holds, so before it the ACK competed with the delivery it answers.
        if (flushAck)
            QueueAckFlush();
    }

    /// <summary>Checks everything that would make a payload inconsistent, before any state changes.</summary>
    private bool TryValidate(ReliabilityPacket packet, out long ack, out long sequence)
    {
        sequence = 0;
        ack = ReliabilityPacket.Widen(packet.Ack, _peerAck);
        if (ack > _nextUnsent)
            return false; // acknowledges what we never sent
        var end = ack;
        for (var i = 0; i < packet.RangeCount; i++)
        {
            var (gap, length) = packet.Range(i);
            if (gap == 0 || length == 0)
                return false;
            end += gap + length;
            if (end > _nextUnsent)
                return false;
        }
        if (packet.Type is ReliabilityPacketType.Data or ReliabilityPacketType.Close)
        {
            sequence = ReliabilityPacket.Widen(packet.Sequence, _receiveNext);
            if (sequence >= _receiveNext + _window)
                return false; // beyond the window we promised to buffer
            if (_peerCloseSequence is { } close
                && (sequence > close || (sequence == close) != (packet.Type == ReliabilityPacketType.Close)))
                return false; // nothing follows the close marker, and it does not move
        }
        return true;
    }

    private void Accept(long sequence, ReliabilityPacket packet, DateTimeOffset now)
    {
        var slot = Slot(sequence);
        if (sequence < _receiveNext || _reorder[slot] is not null)
        {
            // Our ack was lost or the sender was impatient: tell it again, now.
            _duplicates++;
            _ackNow = true;
            return;
        }
        var isClose = packet.Type == ReliabilityPacketType.Close;
        if (isClose)
            _peerCloseSequence = sequence;
        if (sequence > _receiveNext)
        {
            _reorder[slot] = new InboundSegment(packet.Flags, RentCopy(packet.Data), packet.Data.Length, isClose);
            _outOfOrder++;
            _ackNow = true;
            return;
        }

        Consume(packet.Flags, packet.Data, isClose);
        _receiveNext++;
        var filledHole = false;
        while (_outOfOrder > 0 && _reorder[Slot(_receiveNext)] is { } buffered)
        {
            _reorder[Slot(_receiveNext)] = null;
            _outOfOrder--;
            filledHole = true;
            Consume(buffered.Flags, buffered.Data.AsSpan(0, buffered.Length), buffered.IsClose);
            ReturnBuffer(buffered.Data);
            _receiveNext++;
        }
        if (filledHole || _outOfOrder > 0 || _peerClosed)
        {
            // The peer's close is acknowledged at once: it is the last thing we owe, and we may be gone in 10 ms.
            _ackNow = true;
        }
        else if (!_ackPending)
        {
            _ackPending = true;
            _ackDue = now + _options.AckDelay;
        }
    }

    /// <summary>Takes the next packet in order: reassembles fragments and queues whole messages.</summary>
    private void Consume(byte flags, ReadOnlySpan<byte> data, bool isClose)
    {
        if (isClose)
        {
            if (_assembly is not null)
                _malformed++; // the peer closed mid-message; the partial message is lost
            DropAssembly();
            _peerClosed = true;
            if (!_messagesTerminated)
            {
                _messagesTerminated = true;
                _deliveries.Enqueue(Delivery.Completed);
            }
            return;
        }
        var first = (flags & ReliabilityPacket.FirstFlag) != 0;
        var last = (flags & ReliabilityPacket.LastFlag) != 0;
        if (first)
        {
            if (_assembly is not null)
                _malformed++; // a new message began before the last one ended
            DropAssembly();
            _skippingMessage = false;
        }
        else if (_assembly is null)
        {
            // A continuation with no beginning: skip to the next message.
            if (!_skippingMessage)
                _malformed++;
            _skippingMessage = !last;
            return;
        }
        if (_assemblyLength + data.Length > _options.MaxMessageSize)
        {
            _malformed++;
            DropAssembly();
            _skippingMessage = !last;
            return;
        }
        if (first && last)
        {
            Emit(RentCopy(data), data.Length);
            return;
        }
        AppendToAssembly(data);
        if (!last)
            return;
        var message = _assembly!;
        var length = _assemblyLength;
        _assembly = null;
        _assemblyLength = 0;
        Emit(message, length);
    }

    /// <summary>Appends a fragment to the message being reassembled, growing its pooled buffer by doubling.</summary>
    private void AppendToAssembly(ReadOnlySpan<byte> data)
    {
        var needed = _assemblyLength + data.Length;
        if (_assembly is null || _assembly.Length < needed)
        {
            var grown = RentBuffer(Math.Min(Math.Max(needed, 2 * (_assembly?.Length ?? data.Length)), Math.Max(needed, _options.MaxMessageSize)));
            if (_assembly is not null)
            {
                _assembly.AsSpan(0, _assemblyLength).CopyTo(grown);
                ReturnBuffer(_assembly);
            }
            _assembly = grown;
        }
        data.CopyTo(_assembly.AsSpan(_assemblyLength));
        _assemblyLength = needed;
    }

    private void DropAssembly()
    {
        if (_assembly is not null)
            ReturnBuffer(_assembly);
        _assembly = null;
        _assemblyLength = 0;
    }

    /// <summary>Queues a whole message, which lies in the first <paramref name="length"/> bytes of a pooled buffer.</summary>
    private void Emit(byte[] message, int length)
    {
        _messagesReceived++;
        _deliveries.Enqueue(Delivery.Next(message, length));
    }

    /// <summary>Sends a cumulative ack with the lowest selective ranges that fit.</summary>
    private void SendAck(DateTimeOffset now)
    {
        var maxRanges = Math.Min(byte.MaxValue, (_options.MaxPayloadSize - ReliabilityPacket.AckHeaderSize) / ReliabilityPacket.AckRangeSize);
        var span = _outbox.Rent(ReliabilityPacket.AckHeaderSize + maxRanges * ReliabilityPacket.AckRangeSize, out var buffer);
        var count = 0;
        if (_outOfOrder > 0)
        {
            var previousEnd = _receiveNext;
            var sequence = _receiveNext + 1;
            var limit = _receiveNext + _window;
            while (sequence < limit && count < maxRanges)
            {
                if (_reorder[Slot(sequence)] is null)
                {
                    sequence++;
                    continue;
                }
                var start = sequence;
                while (sequence < limit && _reorder[Slot(sequence)] is not null)
                    sequence++;
                ReliabilityPacket.WriteRange(span, count++, (int)(start - previousEnd), (int)(sequence - start));
                previousEnd = sequence;
            }
        }
        ReliabilityPacket.WriteAckHeader(span, _receiveNext, count);
        _outbox.Add(buffer, ReliabilityPacket.AckHeaderSize + count * ReliabilityPacket.AckRangeSize);
        _ackPending = false;
        _ackNow = false;
        _acksSent++;
        _packetsSent++;
        _lastSent = now;
    }

    /// <summary>A packet that came above a hole; <see cref="Data"/> is pooled and holds <see cref="Length"/> bytes.</summary>
    private readonly record struct InboundSegment(byte Flags, byte[] Data, int Length, bool IsClose);
}
