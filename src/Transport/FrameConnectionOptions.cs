using System.IO.Pipelines;
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

    internal void Validate()
    {
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

    /// <summary>Options for the pipe between <see cref="PipeFrameConnection.SendAsync"/> and a socket.</summary>
    /// <remarks>
    /// Pausing at one unsent byte makes a send complete only once the socket has taken the frame, so
    /// a completed send means "handed to the operating system" (and closing right after loses nothing),
    /// and a peer that stops reading pushes back on the sender.
    /// </remarks>
    internal static PipeOptions CreateSocketSendPipeOptions() => new(
        pauseWriterThreshold: 1,
        resumeWriterThreshold: 1,
        useSynchronizationContext: false);
}
