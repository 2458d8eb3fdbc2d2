namespace SecretChat.Transport.Reliability;

public sealed partial class ReliableSession
{
    private readonly OutboundSegment?[] _inFlight;   // by sequence % window, for [_sendUnacked, _nextSequence)
    private long _nextUnsent;        // the first numbered packet not yet transmitted (the congestion window holds it)
    private readonly OutboundSegment?[] _segments;   // by slot, reused: the packet in _inFlight, or the slot's last one
    private readonly LinkedList<PendingSend> _pending = new();
    private readonly Stack<PendingSend> _freePendingSends = new();
    private readonly List<AckWaiter> _ackWaiters = [];
    private long _nextSequence;      // the next sequence number to assign
    private long _sendUnacked;       // the lowest sequence number not yet acknowledged (cumulatively or selectively)
    private long _peerAck;           // the highest cumulative ack from the peer
    private long _queuedPackets;     // packets of pending sends not yet numbered
    private long _transmitCount;     // orders transmissions, for loss evidence
    private long _ordinal;           // orders sends, for cancellation
    private bool _closeQueued;
    private bool _closeAcked;
    private readonly CongestionController? _congestion;
    private int _lostCount;          // segments declared lost and waiting for the congestion window to resend them

    /// <summary>Whether the congestion window has room for one more packet (always, without congestion control).</summary>
    private bool CongestionAllows => _congestion is null || _congestion.CanSend;

    /// <summary>
    /// Queues a copy of <paramref name="message"/>, fragmented into numbered packets, and completes once
    /// every packet has entered the send window (was numbered; the congestion window may still hold it back a
    /// while); while the window is full it waits for acknowledgements. Cancellation withdraws a message only before its first packet leaves;
    /// after that it is committed and cancellation has no effect.
    /// </summary>
    /// <exception cref="ArgumentException">The message is longer than <see cref="ReliabilityOptions.MaxMessageSize"/>.</exception>
    /// <exception cref="InvalidOperationException">After <see cref="CompleteAsync"/>, or once the session has failed.</exception>
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken ct = default)
    {
        if (message.Length > _options.MaxMessageSize)
            throw new ArgumentException($"The message is {message.Length} bytes; the limit is {_options.MaxMessageSize}.", nameof(message));
        if (ct.IsCancellationRequested)
            return ValueTask.FromCanceled(ct);
        var copy = CopyToPool(message);
        TaskCompletionSource? completion;
        PendingSend? pending = null;
        lock (_gate)
        {
            if (_disposed || _failure is not null || _closeQueued)
            {
                ReleaseCopy(copy);
                ThrowIfUnusable();
                throw new InvalidOperationException("The session is closed for sending.");
            }
            _messagesSent++;
            completion = Enqueue(copy, FragmentCount(message.Length), ct.CanBeCanceled, out pending);
        }
        Flush();
        if (completion is null)
            return default;
        if (ct.CanBeCanceled)
        {
            // This pending send is never reused (Enqueue saw the token), so a late callback finds it finished.
            var registration = ct.UnsafeRegister(static (state, token) => ((PendingSend)state!).Session.Withdraw((PendingSend)state!, token), pending);
            lock (_gate)
            {
                if (completion.Task.IsCompleted)
                    registration.Unregister();
                else
                    pending!.Registration = registration;
            }
        }
        return new ValueTask(completion.Task);
    }

    /// <summary>
    /// Queues a close marker after everything sent so far (like FIN); the peer's
    /// <see cref="Messages"/> completes once it has everything. Idempotent.
    /// </summary>
    public ValueTask CompleteAsync()
    {
        TaskCompletionSource? completion;
        lock (_gate)
        {
            ThrowIfUnusable();
            if (_closeQueued)
            {
                return default;
            }
            _closeQueued = true;
            completion = Enqueue(null, 1, cancellable: false, out _);
        }
        Flush();
        return completion is null ? default : new ValueTask(completion.Task);
    }

    /// <summary>
    /// Completes when every message sent so far (and the close marker, if queued) has been acknowledged,
    /// including those still waiting for the window.
    /// </summary>
    public Task WhenAllAcknowledgedAsync(CancellationToken ct = default)
    {
        lock (_gate)
        {
            if (_disposed)
                return Task.FromException(new ObjectDisposedException(nameof(ReliableSession)));
            if (_failure is not null)
                return Task.FromException(_failure);
            var target = _nextSequence + _queuedPackets;
            if (_sendUnacked >= target)
                return Task.CompletedTask;
            var waiter = new AckWaiter(target, _ordinal);
            _ackWaiters.Add(waiter);
            if (ct.CanBeCanceled)
                ct.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetCanceled(), waiter.Completion);
            return waiter.Completion.Task;
        }
    }

    private int FragmentCount(int length) => Math.Max(1, (length + _maxFragment - 1) / _maxFragment);

    /// <summary>
    /// Queues a message (null: the close marker) and numbers what fits. Returns null when every packet was numbered at
    /// once; otherwise the completion the caller waits on, and the pending send a cancellation must withdraw.
    /// </summary>
    private TaskCompletionSource? Enqueue(ReadOnlyMemory<byte>? message, int packets, bool cancellable, out PendingSend? pending)
    {
        var queued = _freePendingSends.Count > 0 ? _freePendingSends.Pop() : new PendingSend(this);
        queued.Reusable = true;
        queued.Message = message;
        queued.PacketsLeft = packets;
        queued.Ordinal = _ordinal++;
        _pending.AddLast(queued.Node);
        _queuedPackets += packets;
        FillWindow();
        pending = null;
        if (queued.PacketsLeft == 0)
            return null; // FillWindow recycled it
        // The task is what the caller holds, so the pending send can be reused once it is finished, unless a
        // cancellation callback may still come for it.
        queued.Completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queued.Reusable = !cancellable;
        pending = queued;
        return queued.Completion;
    }

    private void Withdraw(PendingSend pending, CancellationToken ct)
    {
        lock (_gate)
        {
            // Only a message none of whose packets has left can be withdrawn without breaking the stream.
            if (pending.Node.List is null || pending.Started)
                return;
            _pending.Remove(pending.Node);
            ReleaseWithdrawn(pending);
            _queuedPackets -= pending.PacketsLeft;
            _messagesSent--;
            foreach (var waiter in _ackWaiters)
            {
                if (waiter.OrdinalAtCreation > pending.Ordinal)
                    waiter.Target -= pending.PacketsLeft;
            }
            CompleteAckWaiters();
            pending.Completion?.TrySetCanceled(ct); // never reused: its registration is what runs now
        }
    }

    /// <summary>
    /// Numbers queued packets while the send window (packets) has room, which completes their sends; then, while the
    /// congestion window (bytes) has room, resends packets declared lost and transmits numbered ones for the first time.
    /// </summary>
    private void FillWindow()
    {
        if (_failure is not null || _disposed)
            return;
        var now = _scheduler.Now;
        while (_pending.First is { } node && _nextSequence < _sendUnacked + _window)
        {
            var pending = node.Value;
            // The slot's previous packet lies below _sendUnacked, so it was acknowledged: its segment is free.
            var slot = Slot(_nextSequence);
            var segment = _segments[slot] ??= new OutboundSegment();
            if (pending.Message is not { } message)
            {
                segment.Reset(_nextSequence, 0, default, isClose: true);
            }
            else
            {
                var length = Math.Min(_maxFragment, message.Length - pending.Offset);
                var flags = (byte)((pending.Offset == 0 ? ReliabilityPacket.FirstFlag : 0)
                    | (pending.Offset + length == message.Length ? ReliabilityPacket.LastFlag : 0));
                segment.Reset(_nextSequence, flags, message.Slice(pending.Offset, length), isClose: false);
                pending.Offset += length;
            }
            pending.Started = true;
            _inFlight[slot] = segment;
            _nextSequence++;
            _queuedPackets--;
            if (--pending.PacketsLeft == 0)
            {
                ReleaseWhenAcknowledged(pending);
                _pending.RemoveFirst();
                pending.Registration.Unregister();
                pending.Completion?.TrySetResult();
                RecyclePendingSend(pending);
            }
        }
        if (_lostCount > 0)
        {
            ResendLost(now, probe: false);
            if (_lostCount > 0)
                return; // what was lost goes first
        }
        while (_nextUnsent < _nextSequence && CongestionAllows)
            Transmit(_inFlight[Slot(_nextUnsent++)]!, now);
    }

    private void Transmit(OutboundSegment segment, DateTimeOffset now)
    {
        int length;
        byte[] buffer;
        if (segment.IsClose)
        {
            length = ReliabilityPacket.WriteClose(_outbox.Rent(ReliabilityPacket.CloseSize, out buffer), segment.Sequence, _receiveNext);
        }
        else
        {
            length = ReliabilityPacket.WriteData(_outbox.Rent(ReliabilityPacket.DataHeaderSize + segment.Data.Length, out buffer),
                segment.Flags, segment.Sequence, _receiveNext, segment.Data.Span);
        }
        _outbox.Add(buffer, length);
        if (!segment.InFlight)
        {
            segment.InFlight = true;
            _congestion?.OnSent(segment.Size);
        }
        if (segment.Transmissions == 0)
            segment.FirstSentAt = now;
        segment.Transmissions++;
        segment.LastSentAt = now;
        segment.TransmitNumber = ++_transmitCount;
        segment.Evidence = 0;
        segment.ResendAt = now + _rtt.RetransmissionTimeout;
        _packetsSent++;
        _lastSent = now;
        // The cumulative ack rides along; selective ranges still need an ACK of their own.
        if (_outOfOrder == 0)
            _ackPending = false;
        EnsureTimer(segment.ResendAt);
    }

    private void Retransmit(OutboundSegment segment, DateTimeOffset now)
    {
        DeclareLost(segment, now);
        if (segment.Lost)
        {
            segment.Lost = false;
            _lostCount--;
        }
        _retransmissions++;
        Transmit(segment, now);
    }

    /// <summary>The packet's last transmission is taken for lost: it leaves the flight, and the window learns of it.</summary>
    private void DeclareLost(OutboundSegment segment, DateTimeOffset now)
    {
        if (!segment.InFlight)
            return;
        segment.InFlight = false;
        _congestion?.OnLost(segment.Size, segment.LastSentAt, now);
    }

    /// <summary>
    /// Resends lost packets, lowest first, while the congestion window has room; a <paramref name="probe"/> (the
    /// retransmission timer's) sends the first one even into a full window, so a collapsed window still makes progress.
    /// </summary>
    private void ResendLost(DateTimeOffset now, bool probe)
    {
        for (var sequence = _sendUnacked; sequence < _nextUnsent && _lostCount > 0; sequence++)
        {
            if (_inFlight[Slot(sequence)] is not { Lost: true } segment)
                continue;
            if (!probe && !CongestionAllows)
                return;
            probe = false;
            Retransmit(segment, now);
        }
    }

    /// <summary>Applies the peer's cumulative ack and selective ranges (already validated).</summary>
    private void ProcessAck(long ack, ReliabilityPacket packet, DateTimeOffset now)
    {
        if (ack < _peerAck)
            return; // reordered, older news
        _peerAck = ack;
        _congestion?.BeginAcknowledgement();
        long newestAcked = 0;
        OutboundSegment? sample = null;
        for (var sequence = _sendUnacked; sequence < ack; sequence++)
            Acknowledge(sequence, ref newestAcked, ref sample);
        var end = ack;
        for (var i = 0; i < packet.RangeCount; i++)
        {
            var (gap, length) = packet.Range(i);
            var start = end + gap;
            end = start + length;
            for (var sequence = Math.Max(start, _sendUnacked); sequence < end; sequence++)
                Acknowledge(sequence, ref newestAcked, ref sample);
        }
        while (_sendUnacked < _nextSequence && _inFlight[Slot(_sendUnacked)] is null)
            _sendUnacked++;
        ReleaseAcknowledgedMessages();
        CompleteAckWaiters();
        if (sample is null)
            return;
        _rtt.AddSample(now - sample.FirstSentAt);

        // Packets sent before one that was just acknowledged but still missing collect evidence of loss.
        // As in RACK (RFC 8985), a packet must also have been out for an RTT plus a quarter, so that
        // mere reordering (jitter) is not mistaken for loss.
        var srtt = _rtt.SmoothedRtt ?? TimeSpan.Zero;
        var reorderingAllowance = srtt + srtt / 4;
        for (var sequence = _sendUnacked; sequence < _nextUnsent; sequence++)
        {
            if (_inFlight[Slot(sequence)] is not { } segment || segment.Lost || segment.TransmitNumber > newestAcked)
                continue;
            if (++segment.Evidence >= _options.FastRetransmitThreshold
                && now - segment.LastSentAt >= reorderingAllowance
                && segment.Transmissions <= _options.MaxRetransmissions)
            {
                _fastRetransmissions++;
                Retransmit(segment, now);
            }
        }
    }

    private void Acknowledge(long sequence, ref long newestAcked, ref OutboundSegment? sample)
    {
        var slot = Slot(sequence);
        if (_inFlight[slot] is not { } segment || segment.Sequence != sequence)
            return;
        _inFlight[slot] = null;
        if (segment.Lost)
        {
            segment.Lost = false; // its first transmission arrived after all
            _lostCount--;
        }
        else if (segment.InFlight)
        {
            segment.InFlight = false;
            _congestion?.OnAcknowledged(segment.Size, segment.LastSentAt);
        }
        if (segment.IsClose)
            _closeAcked = true;
        // Only a packet sent once says which transmission arrived, so only it dates the evidence of
        // loss (an ack of a retransmission would condemn everything sent before the retransmission)
        // and only it gives an RTT sample (Karn's rule).
        if (segment.Transmissions == 1 && segment.TransmitNumber > newestAcked)
        {
            newestAcked = segment.TransmitNumber;
            sample = segment;
        }
    }

    private void CompleteAckWaiters()
    {
        for (var i = _ackWaiters.Count - 1; i >= 0; i--)
        {
            var waiter = _ackWaiters[i];
            if (_sendUnacked >= waiter.Target || waiter.Completion.Task.IsCompleted)
            {
                _ackWaiters.RemoveAt(i);
                waiter.Completion.TrySetResult();
            }
        }
    }

    private void FailWaiters(Exception error)
    {
        while (_pending.First is { } node)
        {
            _pending.RemoveFirst();
            node.Value.Registration.Unregister();
            node.Value.Completion?.TrySetException(error);
            RecyclePendingSend(node.Value);
        }
        _queuedPackets = 0;
        foreach (var waiter in _ackWaiters)
            waiter.Completion.TrySetException(error);
        _ackWaiters.Clear();
    }

    private int Slot(long sequence) => (int)(sequence % _window);

    /// <summary>One per window slot, reused for every packet numbered into it (<see cref="_segments"/>).</summary>
    private sealed class OutboundSegment
    {
        public long Sequence { get; private set; }
        public byte Flags { get; private set; }
        public ReadOnlyMemory<byte> Data { get; private set; }
        public bool IsClose { get; private set; }
        /// <summary>The reliability packet's length, what the congestion window counts.</summary>
        public int Size => IsClose ? ReliabilityPacket.CloseSize : ReliabilityPacket.DataHeaderSize + Data.Length;
        /// <summary>Counted in the congestion controller's bytes in flight.</summary>
        public bool InFlight { get; set; }
        /// <summary>Declared lost by its timer and waiting for room in the congestion window to be resent.</summary>
        public bool Lost { get; set; }
        public int Transmissions { get; set; }
        public long TransmitNumber { get; set; }
        public int Evidence { get; set; }
        public DateTimeOffset FirstSentAt { get; set; }
        public DateTimeOffset LastSentAt { get; set; }
        public DateTimeOffset ResendAt { get; set; }

        /// <summary>A new packet in this slot, as a fresh segment would start.</summary>
        public void Reset(long sequence, byte flags, ReadOnlyMemory<byte> data, bool isClose)
        {
            Sequence = sequence;
            Flags = flags;
            Data = data;
            IsClose = isClose;
            InFlight = false;
            Lost = false;
            Transmissions = 0;
            TransmitNumber = 0;
            Evidence = 0;
            FirstSentAt = LastSentAt = ResendAt = default;
        }
    }

    /// <summary>A finished pending send goes back to the free list, unless a cancellation callback may still come for it.</summary>
    private void RecyclePendingSend(PendingSend pending)
    {
        if (!pending.Reusable || _freePendingSends.Count >= _window)
            return;
        pending.Message = null;
        pending.PacketsLeft = pending.Offset = 0;
        pending.Started = false;
        pending.Completion = null;
        pending.Registration = default;
        _freePendingSends.Push(pending);
    }

    /// <summary>A message on its way into the send window; reused from a free list with its node in the send queue.</summary>
    private sealed class PendingSend
    {
        public PendingSend(ReliableSession session)
        {
            Session = session;
            Node = new LinkedListNode<PendingSend>(this);
        }

        public ReliableSession Session { get; }
        public LinkedListNode<PendingSend> Node { get; }
        public ReadOnlyMemory<byte>? Message { get; set; }
        public int PacketsLeft { get; set; }
        public int Offset { get; set; }
        public bool Started { get; set; }
        public long Ordinal { get; set; }
        /// <summary>Only while <see cref="SendAsync"/> waits for the window; a task is what its caller holds.</summary>
        public TaskCompletionSource? Completion { get; set; }
        public CancellationTokenRegistration Registration { get; set; }
        /// <summary>False for a send whose cancellation callback may come after it finished: it is left to the collector.</summary>
        public bool Reusable { get; set; }
    }

    private sealed class AckWaiter(long target, long ordinalAtCreation)
    {
        public long Target { get; set; } = target;
        public long OrdinalAtCreation { get; } = ordinalAtCreation;
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
