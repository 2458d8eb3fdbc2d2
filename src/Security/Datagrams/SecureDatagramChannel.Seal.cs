using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using SecretChat.Framing.Packets;
using SecretChat.Security.Replay;

namespace SecretChat.Security.Datagrams;

// Sealing: every payload at the next explicit counter, with the 13-byte header as associated data. Counters never
// wrap: the session ends first.
public sealed partial class SecureDatagramChannel
{
    private SecureSession? _session;
    private ReplayWindow? _window;
    private ulong _nextCounter;

    /// <summary>
    /// Seals <paramref name="payload"/> at the next counter and sends it as one data packet to the peer's
    /// current address. The payload may be reused once this returns (it is sealed into a pooled buffer first).
    /// </summary>
    /// <exception cref="InvalidOperationException">The handshake has not completed on this side.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The payload exceeds <see cref="MaxPayloadSize"/>.</exception>
    /// <exception cref="ArgumentException">The payload is empty (empty payloads are path probes: <see cref="ProbeAsync"/>).</exception>
    /// <remarks>
    /// Fails with <see cref="NonceExhaustedException"/> once <see cref="DatagramChannelOptions.RejectAfterMessages"/>
    /// counters were used (the session ends then), and with an <see cref="IOException"/> after the session ended.
    /// </remarks>
    /// <param name="payload">The payload; the caller's again once this returns.</param>
    /// <param name="cancellationToken">Checked before sealing: a sealed datagram is handed to the send delegate at once.</param>
    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (payload.IsEmpty)
            throw new ArgumentException("An empty payload is a path probe; use ProbeAsync.", nameof(payload));
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        return SealAndSend(payload, to: null);
    }

    /// <summary>Seals at the next counter and sends to <paramref name="to"/>, or to the peer's current address.</summary>
    private ValueTask SealAndSend(ReadOnlyMemory<byte> payload, IPEndPoint? to)
    {
        byte[] buffer;
        int length;
        IPEndPoint remote;
        lock (_gate)
        {
            if (_phase != Phase.Established)
            {
                return _phase == Phase.Closed
                    ? ValueTask.FromException(new IOException("The datagram session has ended.", _terminalError))
                    : throw new InvalidOperationException("The handshake has not completed yet; wait for Established.");
            }
            var sender = _session!.Sender;
            var maxPayload = PacketCodec.MaxDatagramSize - PacketCodec.DataHeaderSize - sender.TagSize;
            if (payload.Length > maxPayload)
                throw new ArgumentOutOfRangeException(nameof(payload), payload.Length, $"A datagram carries at most {maxPayload} bytes of payload.");
            if (!TrySealLocked(payload.Span, out buffer, out length, out var failure))
                return ValueTask.FromException(failure!);
            remote = to ?? _remote!;
        }

        ValueTask sending;
        try
        {
            sending = _send(buffer.AsMemory(0, length), remote, CancellationToken.None);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        if (sending.IsCompletedSuccessfully)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return ValueTask.CompletedTask;
        }
        return ReturnAfter(sending, buffer);
    }

    /// <summary>Seals a data packet at the next counter into a pooled buffer. Call under the lock.</summary>
    private bool TrySealLocked(ReadOnlySpan<byte> payload, out byte[] buffer, out int length, out Exception? failure)
    {
        var sender = _session!.Sender;
        if (_nextCounter >= _options.RejectAfterMessages || _nextCounter > CipherState.MaxNonce)
        {
            // Nonces never wrap: the session ends and a new handshake must make new keys.
            failure = new NonceExhaustedException();
            Terminate(failure);
            buffer = [];
            length = 0;
            return false;
        }
        var counter = _nextCounter++;
        length = PacketCodec.DataHeaderSize + payload.Length + sender.TagSize;
        buffer = ArrayPool<byte>.Shared.Rent(length);
        PacketCodec.WriteHeader(PacketHeader.Data(_peerSessionId, counter), buffer);
        sender.Seal(
            counter,
            buffer.AsSpan(0, PacketCodec.DataHeaderSize),
            payload,
            buffer.AsSpan(PacketCodec.DataHeaderSize, payload.Length + sender.TagSize));
        _sent++;
        _pathPolicy?.Sent(_scheduler.Now);
        failure = null;
        return true;
    }

    // Pooled: the socket paces a burst by yielding, so a send completes later every few dozen datagrams.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask ReturnAfter(ValueTask sending, byte[] buffer)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void DisposeSession()
    {
        _session?.Dispose();
        _session = null;
        _window = null;
    }
}
