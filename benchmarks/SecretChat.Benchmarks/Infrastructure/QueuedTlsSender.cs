using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Security;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// The TLS baseline's sender with SecretChat's queueing and batching: a send writes its length-prefixed frame into a
/// pipe and completes once queued; one loop drains everything the pipe holds into <see cref="SslStream.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.
/// </summary>
/// <remarks>
/// Why this is what a competent user runs: <see cref="SslStream"/> allows one write at a time, so an application that
/// sends from several places, or does not want each send to wait for the socket, puts a queue in front of it, and a
/// pipe drained by one loop is the platform's own way (Kestrel's output, Pipelines.Sockets.Unofficial). The pipe is set
/// up as SecretChat's TCP send pipe is (<c>FrameConnectionOptions</c>): pause at 1 MiB unsent, resume at 512 KiB, 64 KiB
/// segments, so a drain hands TLS up to 64 KiB at a time (four full records in one write) as SecretChat's send loop
/// hands the socket up to 64 KiB.
/// </remarks>
public sealed class QueuedTlsSender : IAsyncDisposable
{
    private const int HeaderSize = 4;

    private readonly SslStream _stream;
    private readonly Pipe _queue = new(new PipeOptions(
        pauseWriterThreshold: 1024 * 1024,
        resumeWriterThreshold: 512 * 1024,
        minimumSegmentSize: 64 * 1024,
        useSynchronizationContext: false));
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Task _draining;

    public QueuedTlsSender(SslStream stream)
    {
        _stream = stream;
        _draining = DrainAsync();
    }

    /// <summary>Queues one frame (4-byte big-endian length, then the message); completes once queued, unless the queue is full.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> message)
    {
        // Senders may be concurrent (a bulk transfer and a small message): one writer at a time, as SecretChat's write lock.
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var writer = _queue.Writer;
            var span = writer.GetSpan(HeaderSize + message.Length);
            BinaryPrimitives.WriteUInt32BigEndian(span, (uint)message.Length);
            message.Span.CopyTo(span[HeaderSize..]);
            writer.Advance(HeaderSize + message.Length);
            var flushed = writer.FlushAsync();
            if (!flushed.IsCompletedSuccessfully)
                await flushed.ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task DrainAsync()
    {
        var reader = _queue.Reader;
        while (true)
        {
            var result = await reader.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            try
            {
                foreach (var segment in buffer)
                    await _stream.WriteAsync(segment).ConfigureAwait(false);
            }
            finally
            {
                reader.AdvanceTo(buffer.End);
            }
            if (result.IsCompleted || result.IsCanceled)
                return;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _queue.Writer.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _draining.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or TimeoutException)
        {
            // The stream went away first: nothing left to send to.
        }
        await _queue.Reader.CompleteAsync().ConfigureAwait(false);
        _writeLock.Dispose();
    }
}
