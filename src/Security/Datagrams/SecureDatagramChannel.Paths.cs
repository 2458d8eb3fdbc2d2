using System.Buffers;
using System.Net;
using SecretChat.Transport;

namespace SecretChat.Security.Datagrams;

// Paths: which address the session sends to, and how it moves. What needs the keys stays here: following an
// authenticated packet, sealing a path probe (an empty authenticated payload that proves an address works), and
// switching the send address. When to move, when to probe and what was heard when belong to the path manager,
// which installs an IPathPolicy; without one, the session follows every authenticated packet (roaming).
public sealed partial class SecureDatagramChannel
{
    private IPathPolicy? _pathPolicy;

    /// <summary>
    /// The path manager's say in moves, and what it is told (every authenticated packet, every sealed one, every
    /// move). Unset, the session always follows an authenticated packet to its new address (roaming after a NAT
    /// rebinding). Packets whose move is denied are still delivered.
    /// </summary>
    public IPathPolicy? PathPolicy
    {
        set
        {
            lock (_gate)
                _pathPolicy = value;
        }
    }

    /// <summary>Sends a path probe (an empty sealed payload) to <paramref name="address"/> without moving the session.</summary>
    /// <param name="address">Where to probe.</param>
    /// <param name="cancellationToken">Checked before sealing: a sealed probe is handed to the send delegate at once.</param>
    public ValueTask ProbeAsync(IPEndPoint address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        return SealAndSend(ReadOnlyMemory<byte>.Empty, address);
    }

    /// <summary>Moves the session to <paramref name="address"/> by this side's own decision (e.g. to a relay), for <paramref name="reason"/>.</summary>
    public void SwitchPath(IPEndPoint address, PathMoveReason reason)
    {
        ArgumentNullException.ThrowIfNull(address);
        lock (_gate)
        {
            if (_phase == Phase.Established && !address.Equals(_remote))
                MoveToLocked(new PathMove(address, reason));
        }
    }

    /// <summary>An authenticated packet from <paramref name="from"/>: follow it if allowed, then tell the policy. Under the lock.</summary>
    private void OnAuthenticatedLocked(IPEndPoint from, bool isProbe)
    {
        if (!from.Equals(_remote))
        {
            var reason = PathMoveReason.Roamed;
            if (_pathPolicy is null || _pathPolicy.AllowMove(_remote!, from, out reason))
            {
                MoveToLocked(new PathMove(from, reason));
                // A probe that moved us gets an answer on the new path, so the prober moves too.
                if (isProbe)
                    SendProbeLocked(from);
            }
        }
        _pathPolicy?.Heard(from, _scheduler.Now, from.Equals(_remote));
    }

    private void MoveToLocked(PathMove move)
    {
        _remote = move.Address;
        _roamed++;
        _pathPolicy?.Moved(move);
    }

    private void SendProbeLocked(IPEndPoint to)
    {
        if (!TrySealLocked(ReadOnlySpan<byte>.Empty, out var buffer, out var length, out _))
            return;
        try
        {
            var sending = _send(buffer.AsMemory(0, length), to, CancellationToken.None);
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
