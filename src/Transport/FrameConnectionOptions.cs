using System.IO.Pipelines;
using System.Reactive.Concurrency;
using SecretChat.Framing;

namespace SecretChat.Transport;

/// <summary>Settings shared by every frame connection, whatever carries the bytes.</summary>
public sealed record FrameConnectionOptions
{
    /// <summary>The options used when a caller passes none.</summary>
    public static FrameConnectionOptions Default { get; } = new();

    /// <summary>
    /// The largest payload sent or accepted. A peer announcing more is refused from the frame header,
    /// before its payload is buffered.
    /// </summary>
    public int MaxPayloadSize { get; init; } = LengthPrefixedFrameCodec.DefaultMaxPayloadSize;

    /// <summary>
    /// How long disposal waits for the transport to pass on frames already sent (a peer that does not read can hold
    /// them up) before it resets the connection instead. <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.
    /// </summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The scheduler <see cref="CloseTimeout"/> runs on (a <c>TestScheduler</c> in tests: virtual time).</summary>
    public IScheduler Scheduler { get; init; } = DefaultScheduler.Instance;

    internal void Validate()
    {
        if (CloseTimeout <= TimeSpan.Zero && CloseTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(CloseTimeout), CloseTimeout, "The close timeout must be positive or infinite.");
        ArgumentNullException.ThrowIfNull(Scheduler, nameof(Scheduler));
        if (MaxPayloadSize < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxPayloadSize), MaxPayloadSize, "The payload limit cannot be negative.");
    }

    /// <summary>Options for a pipe whose reader decodes frames.</summary>
    /// <remarks>
    /// The writer pauses only well above one whole frame: the reader cannot consume a partial frame,
    /// so a threshold below the frame size would stall both sides for ever.
    /// </remarks>
    internal PipeOptions CreateReceivePipeOptions()
    {
        var pause = Math.Max(64 * 1024L, 2L * LengthPrefixedFrameCodec.GetEncodedLength(MaxPayloadSize));
        return new PipeOptions(
            pauseWriterThreshold: pause,
            resumeWriterThreshold: pause / 2,
            useSynchronizationContext: false);
    }

    /// <summary>Options for the pipe between a socket and the frame decoder.</summary>
    /// <remarks>
    /// As <see cref="CreateReceivePipeOptions"/>, with 256 KiB segments: the socket fills the rest of a segment per
    /// receive, so small frames arrive dozens per system call, and only a frame that crosses into the next segment
    /// (about one 64 KiB frame in four) has to be copied together before it can be opened.
    /// </remarks>
    internal PipeOptions CreateSocketReceivePipeOptions()
    {
        var options = CreateReceivePipeOptions();
        return new PipeOptions(
            pauseWriterThreshold: options.PauseWriterThreshold,
            resumeWriterThreshold: options.ResumeWriterThreshold,
            minimumSegmentSize: 256 * 1024,
            useSynchronizationContext: false);
    }

    /// <summary>Options for the pipe between <see cref="PipeFrameConnection.SendAsync(ReadOnlyMemory{byte}, CancellationToken)"/> and a socket.</summary>
    /// <remarks>
    /// <para>Sends complete as soon as their frame is in this pipe, so the sender's thread never waits for the
    /// socket's thread; the send loop takes whatever has queued meanwhile, one system call per 64 KiB segment (many
    /// small frames at once). Once <see cref="SocketSendPauseThreshold"/> bytes wait unsent (a peer that does not
    /// keep up, after the socket's own buffers are full), further sends wait until the loop has drained the pipe
    /// to half of that: back-pressure.</para>
    /// <para>Nothing whose send completed is lost by closing: completing the writer makes the send loop send the
    /// rest before the FIN, and disposal waits for that (see <see cref="PipeFrameConnection.DisposeAsync"/>).</para>
    /// </remarks>
    internal static PipeOptions CreateSocketSendPipeOptions() => new(
        pauseWriterThreshold: SocketSendPauseThreshold,
        resumeWriterThreshold: SocketSendPauseThreshold / 2,
        minimumSegmentSize: 64 * 1024,
        useSynchronizationContext: false);

    /// <summary>Bytes queued for a socket, not yet taken by it, at which sends start to wait.</summary>
    internal const int SocketSendPauseThreshold = 1024 * 1024;
}
