using System.Globalization;
using System.Reactive.Concurrency;
using SecretChat.Transport;

namespace SecretChat.Security.Datagrams;

// Flights and timers of the handshake: this side's last flight is resent until the peer answers, first
// DatagramChannelOptions.FastRetransmits times on a short fixed schedule (when set: while punching), then with a capped
// doubling delay; a duplicate of the peer message that flight answered means the answer was lost, so it is resent at
// once (at most once per half of the shortest interval); the whole handshake has one deadline.
public sealed partial class SecureDatagramChannel
{
    private int _flightAnswers = -1;     // the peer message our last flight answered (-1: none)
    private byte[][] _flight = [];
    private int _retransmitAttempt;
    private long _timerGeneration;
    private IDisposable? _retransmitTimer;
    private IDisposable? _timeoutTimer;
    private DateTimeOffset _lastDuplicateAnswer = DateTimeOffset.MinValue;
    private DateTimeOffset? _flightSentAt; // when the last flight first left, until the peer answers it

    /// <summary>
    /// The time from this side's last handshake flight to the peer's answer; null until the peer answered one. Taken
    /// from the flight's first sending, so it is never shorter than the round trip (where Karn's rule would drop the
    /// sample of a resent flight as ambiguous, this takes its upper bound): it includes the peer's handshake work and,
    /// when the flight had to be resent, the wait before the resend, so it errs long.
    /// </summary>
    public TimeSpan? HandshakeRoundTrip { get; private set; }

    /// <summary>The peer answered this side's last flight (its hello or its next message came): a round trip, at most.</summary>
    private void OnFlightAnswered()
    {
        if (_flightSentAt is { } sent)
            HandshakeRoundTrip = _scheduler.Now - sent;
        _flightSentAt = null;
    }

    /// <summary>A peer message we already processed came again.</summary>
    private void OnDuplicate(byte index)
    {
        var now = _scheduler.Now;
        if (index == _lastPeerIndex
            && _flightAnswers == _lastPeerIndex
            && _flight.Length > 0
            && now - _lastDuplicateAnswer >= _options.ShortestRetransmit / 2)
        {
            _lastDuplicateAnswer = now;
            Resend();
            return;
        }
        Drop(DatagramDropReason.DuplicateHandshake);
    }

    private void StartTimeout()
    {
        var timeout = _options.HandshakeTimeout;
        _timeoutTimer = _scheduler.Schedule(timeout, () =>
        {
            lock (_gate)
            {
                if (_phase == Phase.Handshaking)
                    Fail(new HandshakeTimeoutException(string.Create(CultureInfo.InvariantCulture,
                        $"The peer at {_remote} did not answer the handshake within {timeout.TotalSeconds:0.#} s.")));
            }
        });
    }

    private void ArmRetransmit()
    {
        _retransmitTimer?.Dispose();
        var generation = ++_timerGeneration;
        var fast = _options.FastRetransmits;
        var delay = _retransmitAttempt < fast
            ? _options.FastRetransmitInterval
            : new Backoff(_options.RetransmitInitial, _options.RetransmitMax).Delay(_retransmitAttempt - fast);
        _retransmitTimer = _scheduler.Schedule(delay, () =>
        {
            lock (_gate)
            {
                if (_phase != Phase.Handshaking || generation != _timerGeneration)
                    return;
                Resend();
                _retransmitAttempt++;
                ArmRetransmit();
            }
        });
    }

    private void StopHandshake()
    {
        _timerGeneration++;
        _retransmitTimer?.Dispose();
        _retransmitTimer = null;
        _timeoutTimer?.Dispose();
        _timeoutTimer = null;
        _handshake?.Dispose();
        _handshake = null;
    }

    private void SendFlight(byte[][] flight)
    {
        _flight = flight;
        _flightSentAt = _scheduler.Now;
        foreach (var packet in flight)
            SendPacket(packet);
    }

    private void Resend()
    {
        foreach (var packet in _flight)
        {
            _retransmitted++;
            SendPacket(packet);
        }
    }
}
