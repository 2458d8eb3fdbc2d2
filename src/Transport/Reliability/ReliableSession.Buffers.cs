using System.Buffers;
using System.Runtime.InteropServices;

namespace SecretChat.Transport.Reliability;

// Buffers: every byte the session holds lies in a pooled buffer, so steady traffic allocates nothing per message. The
// sender's copy of a message stays until the peer acknowledged its last packet; payloads live from a locked section
// to the transmit after it; received messages from their last fragment to their delivery.
public sealed partial class ReliableSession
{
    /// <summary>
    /// The session's own pool rather than <see cref="ArrayPool{T}.Shared"/>: a full window holds hundreds of buffers
    /// at once (Shared keeps a few per size and thread and would allocate the rest), and the buffers are returned on
    /// other threads than they were rented on. It keeps only what was in use at once; larger arrays are not pooled.
    /// </summary>
    private static readonly ArrayPool<byte> s_buffers = ArrayPool<byte>.Create(maxArrayLength: 1 << 16, maxArraysPerBucket: 2048);

    /// <summary>The sender's copies of numbered messages, each with the sequence number after its last packet.</summary>
    private readonly Queue<(long End, byte[] Buffer)> _unacknowledgedMessages = new();

    private static byte[] RentBuffer(int size) => s_buffers.Rent(size);

    private static void ReturnBuffer(byte[] buffer)
    {
        if (buffer.Length > 0) // Rent(0) hands out the shared empty array, which is no pool's
            s_buffers.Return(buffer);
    }

    private static byte[] RentCopy(ReadOnlySpan<byte> data)
    {
        var copy = s_buffers.Rent(data.Length);
        data.CopyTo(copy);
        return copy;
    }

    /// <summary>The sender's copy of a message, in a pooled buffer, so the caller may reuse its own at once.</summary>
    private static ReadOnlyMemory<byte> CopyToPool(ReadOnlyMemory<byte> message) => RentCopy(message.Span).AsMemory(0, message.Length);

    /// <summary>The last packet of <paramref name="pending"/> was just numbered: its copy goes once everything before <see cref="_nextSequence"/> is acknowledged.</summary>
    private void ReleaseWhenAcknowledged(PendingSend pending)
    {
        if (pending.Message is { } message && MemoryMarshal.TryGetArray(message, out var copy))
            _unacknowledgedMessages.Enqueue((_nextSequence, copy.Array!));
    }

    /// <summary>Returns the copies of messages whose every packet the peer acknowledged (nothing retransmits them again).</summary>
    private void ReleaseAcknowledgedMessages()
    {
        while (_unacknowledgedMessages.TryPeek(out var oldest) && oldest.End <= _sendUnacked)
        {
            _unacknowledgedMessages.Dequeue();
            ReturnBuffer(oldest.Buffer);
        }
    }

    /// <summary>A message withdrawn before any of its packets left: its copy goes at once.</summary>
    private static void ReleaseWithdrawn(PendingSend pending)
    {
        if (pending.Message is { } message)
            ReleaseCopy(message);
    }

    /// <summary>Returns a copy made by <see cref="CopyToPool"/> that will never be sent.</summary>
    private static void ReleaseCopy(ReadOnlyMemory<byte> copy)
    {
        if (MemoryMarshal.TryGetArray(copy, out var array))
            ReturnBuffer(array.Array!);
    }
}
