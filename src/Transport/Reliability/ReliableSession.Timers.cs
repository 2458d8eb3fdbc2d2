using System.Globalization;
using System.Reactive.Concurrency;

namespace SecretChat.Transport.Reliability;

public sealed partial class ReliableSession
{
    private DateTimeOffset _lastSent;
    private DateTimeOffset _lastReceived;
    private readonly SessionAlarm _alarm;
    private bool _timerArmed;
    private DateTimeOffset _timerDue;
    private bool _ackFlushScheduled;

    /// <summary>Both directions closed and acknowledged: nothing left to keep alive or to watch.</summary>
    private bool Finished => _peerClosed && _closeAcked && _pending.Count == 0;

    /// <summary>Makes sure the one timer fires no later than <paramref name="due"/>. Caller holds the lock.</summary>
    /// <remarks>Deadlines that move later (keepalive after we send) are found when the timer fires early.</remarks>
    private void EnsureTimer(DateTimeOffset due)
    {
        if (_disposed || _failure is not null || (_timerArmed && _timerDue <= due))
            return;
        _timerArmed = true;
        _timerDue = due;
        _alarm.Arm(due);
    }

    /// <summary>
    /// Arranges the pending acknowledgement: at its due time when acks are delayed; otherwise on the scheduler's next
    /// turn, so that every arrival processed before then shares one ACK. Caller holds the lock. True when the caller is
    /// to queue that turn (<see cref="QueueAckFlush"/>) once it has released the lock and delivered what arrived.
    /// </summary>
    private bool ScheduleAck(DateTimeOffset now)
    {
        if (_ackDue > now)
        {
            EnsureTimer(_ackDue);
            return false;
        }
        if (_ackFlushScheduled || _disposed || _failure is not null)
            return false;
        _ackFlushScheduled = true;
        return true;
    }

    /// <summary>Queues the ACK that <see cref="ScheduleAck"/> arranged. Not through EnsureTimer: the retransmission or keepalive timer stays armed as it is.</summary>
    private void QueueAckFlush() => _alarm.Post();

    private void OnAckFlush()
    {
        lock (_gate)
        {
            _ackFlushScheduled = false;
            if (_disposed || _failure is not null || !_ackPending)
                return; // disposed, or a packet we sent meanwhile carried the ack
            SendAck(_scheduler.Now);
        }
        Flush();
    }

    /// <summary>For good: the session is disposed or failed.</summary>
    private void CancelTimer()
    {
        _timerArmed = false;
        _alarm.Dispose();
    }

    /// <summary>Schedules the timer for the earliest deadline of all. Caller holds the lock.</summary>
    private void ArmTimer()
    {
        var due = DateTimeOffset.MaxValue;
        if (_ackPending && !_ackFlushScheduled)
            due = _ackDue;
        for (var sequence = _sendUnacked; sequence < _nextUnsent; sequence++)
        {
            if (_inFlight[Slot(sequence)] is { } segment && segment.ResendAt < due)
                due = segment.ResendAt;
        }
        if (!Finished)
        {
            due = Min(due, _lastSent + _options.KeepAliveInterval);
            due = Min(due, _lastReceived + _options.DeadPeerTimeout);
        }
        if (due != DateTimeOffset.MaxValue)
            EnsureTimer(due);
    }

    /// <summary>The alarm fired: at the armed deadline, or (on the wall clock) early or twice, which does only what is due.</summary>
    private void OnTimer()
    {
        lock (_gate)
        {
            if (_disposed || _failure is not null)
                return;
            _timerArmed = false;
            var now = _scheduler.Now;
            if (!Finished && now - _lastReceived >= _options.DeadPeerTimeout)
            {
                Fail(new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"No traffic from the peer for {_options.DeadPeerTimeout.TotalSeconds:0.###} s.")));
            }
            else
            {
                RetransmitExpired(now);
                if (_failure is null)
                {
                    if (_ackPending && _ackDue <= now)
                        SendAck(now);
                    if (!Finished && now - _lastSent >= _options.KeepAliveInterval)
                        SendKeepAlive(now);
                    ArmTimer();
                }
            }
        }
        Flush();
    }

    /// <summary>
    /// RFC 6298 5.4-5.6 with one timer per packet: what expired is lost, and the timeout backs off once. Without
    /// congestion control everything expired is resent at once. With it, a timeout is what it is to TCP (RFC 5681
    /// §3.1): the acknowledgement clock stopped, so every packet sent at least a round trip ago is taken for lost too
    /// (the per-packet timers would otherwise expire one by one, each a timeout of its own), the window falls to its
    /// minimum and slow-starts again, and the lost packets are resent as it allows, the first at once.
    /// </summary>
    private void RetransmitExpired(DateTimeOffset now)
    {
        var expired = false;
        for (var sequence = _sendUnacked; sequence < _nextUnsent; sequence++)
        {
            if (_inFlight[Slot(sequence)] is not { } segment || segment.ResendAt > now)
                continue;
            if (segment.Transmissions > _options.MaxRetransmissions)
            {
                Fail(new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"The peer acknowledged nothing after {_options.MaxRetransmissions} retransmissions.")));
                return;
            }
            if (!expired)
            {
                expired = true;
                _timeouts++;
                _rtt.BackOff();
            }
            if (_congestion is null)
                Retransmit(segment, now);
            else
                MarkLost(segment, now);
        }
        if (!expired || _congestion is null)
            return;
        var roundTrip = _rtt.SmoothedRtt ?? _rtt.RetransmissionTimeout;
        for (var sequence = _sendUnacked; sequence < _nextUnsent; sequence++)
        {
            if (_inFlight[Slot(sequence)] is { Lost: false, InFlight: true } segment && now - segment.LastSentAt >= roundTrip)
                MarkLost(segment, now);
        }
        _congestion.OnTimeout(now);
        ResendLost(now, probe: true);
    }

    private void MarkLost(OutboundSegment segment, DateTimeOffset now)
    {
        DeclareLost(segment, now);
        segment.Lost = true;
        segment.ResendAt = DateTimeOffset.MaxValue;
        _lostCount++;
    }

    private void SendKeepAlive(DateTimeOffset now)
    {
        var length = ReliabilityPacket.WriteKeepAlive(_outbox.Rent(ReliabilityPacket.KeepAliveSize, out var buffer), _receiveNext);
        _outbox.Add(buffer, length);
        _keepAlivesSent++;
        _packetsSent++;
        _lastSent = now;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
