using System.IO.Pipelines;
using SecretChat.Framing;

namespace SecretChat.Transport;

/// <summary>Two frame connections joined by in-memory pipes: for tests, benchmarks and in-process peers.</summary>
public static class InMemoryFrameTransport
{
    /// <summary>Creates two connected ends: what one sends, the other receives.</summary>
    /// <remarks>
    /// Behaves like TCP where it matters: <c>CompleteAsync</c> on one end completes the other's frames,
    /// <c>Abort</c> shows the other end a <see cref="ConnectionResetException"/>, and a sender whose peer
    /// does not read is held back once the pipe is full.
    /// </remarks>
    public static (IFrameConnection Left, IFrameConnection Right) CreatePair(FrameConnectionOptions? options = null)
    {
        options ??= FrameConnectionOptions.Default;
        options.Validate();

        var leftToRight = new Pipe(options.CreateReceivePipeOptions());
        var rightToLeft = new Pipe(options.CreateReceivePipeOptions());
        var left = new PipeFrameConnection(new CrossedPipe(rightToLeft.Reader, leftToRight.Writer), options) { Transport = TransportKind.InMemory };
        var right = new PipeFrameConnection(new CrossedPipe(leftToRight.Reader, rightToLeft.Writer), options) { Transport = TransportKind.InMemory };
        return (left, right);
    }

    private sealed record CrossedPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
