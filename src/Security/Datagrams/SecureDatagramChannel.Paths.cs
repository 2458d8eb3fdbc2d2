using System.Buffers;
using System.Net;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using SecretChat.Transport;

namespace SecretChat.Security.Datagrams;

// Paths: which address the session sends to, and how it moves. An authenticated packet from a new address
// moves the session there (roaming), unless a roaming policy says no; an empty authenticated payload is a
// path probe that proves an address works without carrying anything for the layer above.
public sealed partial class SecureDatagramChannel
{
    private readonly Subject<IPEndPoint> _pathChanges = new();
    private Func<IPEndPoint, IPEndPoint, bool>? _roamingPolicy;
    private DateTimeOffset _lastAuthenticated;
    private DateTimeOffset _lastSent;
    private DateTimeOffset _lastOnCurrentPath;

    /// <summary>The peer's new address each time the session moves (roaming or <see cref="SwitchPath"/>).</summary>
    public IObservable<IPEndPoint> PathChanges => _pathChanges.AsObservable();

    /// <summary>
    /// Decides whether an authenticated packet from a new address moves the session: (current, candidate) → allow.
    /// Unset, the session always follows (roaming after a NAT rebinding). Denied packets are still delivered.
    /// </summary>
    public Func<IPEndPoint, IPEndPoint, bool>? RoamingPolicy
    {
        set
        {
            lock (_gate)
                _roamingPolicy = value;
        }
    }

    /// <summary>When the last authenticated packet arrived (scheduler time; default before any).</summary>
    public DateTimeOffset LastAuthenticatedReceive
    {
        get
        {
            lock (_gate)
                return _lastAuthenticated;
        }
    }

    /// <summary>When the last authenticated packet arrived from the peer's current address (not via another path).</summary>
    public DateTimeOffset LastReceiveOnCurrentPath
    {
        get
        {
            lock (_gate)
                return _lastOnCurrentPath;
        }
    }

    /// <summary>When the last data packet (or probe) was sent (scheduler time; default before any).</summary>
    public DateTimeOffset LastSend
    {
        get
        {
            lock (_gate)
                return _lastSent;
        }
    }

    /// <summary>Sends a path probe (an empty sealed payload) to <paramref name="address"/> without moving the session.</summary>
    public ValueTask ProbeAsync(IPEndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return SealAndSend(ReadOnlyMemory<byte>.Empty, address);
    }

    /// <summary>Moves the session to <paramref name="address"/> by this side's own decision (e.g. to a relay).</summary>
    public void SwitchPath(IPEndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);
        lock (_gate)
        {
            if (_phase == Phase.Established && !address.Equals(_remote))
                MoveToLocked(address);
        }
    }

    private void MoveToLocked(IPEndPoint address)
    {
        _remote = address;
        _roamed++;
        _pathChanges.OnNext(address);
    }

    private void SendProbeLocked(IPEndPoint to)
    {
        if (!TrySealLocked(ReadOnlySpan<byte>.Empty, out var buffer, out var length, out _))
            return;
        try
        {
            var sending = _send(buffer.AsMemory(0, length), to);
            if (!sending.IsCompletedSuccessfully)
            {
                _ = ReturnAfter(sending, buffer);
                return;
            }
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            _sendFailures++;
        }
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
