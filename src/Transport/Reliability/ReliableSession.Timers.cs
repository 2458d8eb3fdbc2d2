using System.Globalization;
using System.Reactive.Concurrency;

namespace SecretChat.Transport.Reliability;

public sealed partial class ReliableSession
{
    private DateTimeOffset _lastSent;
    private DateTimeOffset _lastReceived;
    private IDisposable? _timer;
    private DateTimeOffset _timerDue;
    private long _timerGeneration;

    /// <summary>Both directions closed and acknowledged: nothing left to keep alive or to watch.</summary>
    private bool Finished => _peerClosed && _closeAcked && _pending.Count == 0;

    /// <summary>Makes sure the one timer fires no later than <paramref name="due"/>. Caller holds the lock.</summary>
    /// <remarks>Deadlines that move later (keepalive after we send) are found when the timer fires early.</remarks>
    private void EnsureTimer(DateTimeOffset due)
    {
        if (_disposed || _failure is not null || (_timer is not null && _timerDue <= due))
            return;
        _timer?.Dispose();
        _timerDue = due;
        var generation = ++_timerGeneration;
        _timer = _scheduler.Schedule(generation, due, TimerCallback);
    }

    private void CancelTimer()
    {
        _timer?.Dispose();
        _timer = null;
        _timerGeneration++;
    }

    /// <summary>Schedules the timer for the earliest deadline of all. Caller holds the lock.</summary>
    private void ArmTimer()
    {
        var due = DateTimeOffset.MaxValue;
        if (_ackPending)
            due = _ackDue;
        for (var sequence = _sendUnacked; sequence < _nextSequence; sequence++)
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

    private void OnTimer(long generation)
    {
        var outbox = Outbox.Rent();
        lock (_gate)
        {
            if (generation != _timerGeneration || _disposed || _failure is not null)
                return;
            _timer = null;
            var now = _scheduler.Now;
            if (!Finished && now - _lastReceived >= _options.DeadPeerTimeout)
            {
                Fail(new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"No traffic from the peer for {_options.DeadPeerTimeout.TotalSeconds:0.###} s.")));
            }
            else
            {
                RetransmitExpired(now, outbox);
                if (_failure is null)
                {
                    if (_ackPending && _ackDue <= now)
                        SendAck(now, outbox);
                    if (!Finished && now - _lastSent >= _options.KeepAliveInterval)
                        SendKeepAlive(now, outbox);
                    ArmTimer();
                }
            }
        }
        Flush(outbox);
    }

    /// <summary>RFC 6298 5.4-5.6 with one timer per packet: resend what expired, and back off once.</summary>
    private void RetransmitExpired(DateTimeOffset now, Outbox outbox)
    {
        var backedOff = false;
        for (var sequence = _sendUnacked; sequence < _nextSequence; sequence++)
        {
            if (_inFlight[Slot(sequence)] is not { } segment || segment.ResendAt > now)
                continue;
            if (segment.Transmissions > _options.MaxRetransmissions)
            {
                Fail(new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"The peer acknowledged nothing after {_options.MaxRetransmissions} retransmissions.")));
                return;
            }
            if (!backedOff)
            {
                backedOff = true;
                _timeouts++;
                _rtt.BackOff();
            }
            Retransmit(segment, now, outbox);
        }
    }

    private void SendKeepAlive(DateTimeOffset now, Outbox outbox)
    {
        var length = ReliabilityPacket.WriteKeepAlive(outbox.Rent(ReliabilityPacket.KeepAliveSize, out var buffer), _receiveNext);
        outbox.Add(buffer, length);
        _keepAlivesSent++;
        _packetsSent++;
        _lastSent = now;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
