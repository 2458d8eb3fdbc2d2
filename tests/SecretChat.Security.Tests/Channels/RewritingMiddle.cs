using System.Buffers;
using System.Threading.Channels;
using SecretChat.Framing;
using SecretChat.Transport;

namespace SecretChat.Security.Tests.Channels;

/// <summary>
/// A man in the middle between two framed connections: it relays every frame, and once <see cref="Armed"/> it passes
/// the initiator's frames through <c>rewrite</c> (which may change, drop, repeat or reorder them). When one side's
/// connection ends, it ends the other (a clean end as a clean end, a failure as a reset), as a TCP relay would.
/// </summary>
internal sealed class RewritingMiddle : IAsyncDisposable
{
    private readonly IFrameConnection _towardInitiator;
    private readonly IFrameConnection _towardResponder;
    private readonly Task _initiatorToResponder;
    private readonly Task _responderToInitiator;

    /// <param name="rewrite">Given the index of an initiator frame since arming and its bytes, the frames to pass on instead.</param>
    private RewritingMiddle(IFrameConnection towardInitiator, IFrameConnection towardResponder, Func<int, byte[], IEnumerable<byte[]>> rewrite, Action<byte[]>? responderFrames)
    {
        _towardInitiator = towardInitiator;
        _towardResponder = towardResponder;
        var index = 0;
        _initiatorToResponder = PumpAsync(towardInitiator, towardResponder, frame => Armed ? rewrite(index++, frame) : [frame]);
        _responderToInitiator = PumpAsync(towardResponder, towardInitiator, frame =>
        {
            responderFrames?.Invoke(frame);
            return [frame];
        });
    }

    /// <summary>From now on the initiator's frames go through the rewrite.</summary>
    public bool Armed { get; set; }

    /// <summary>
    /// The connections the initiator and the responder use, joined through a middle that rewrites with
    /// <paramref name="rewrite"/> and shows each responder frame to <paramref name="responderFrames"/>.
    /// </summary>
    public static (IFrameConnection Initiator, IFrameConnection Responder, RewritingMiddle Middle) Create(
        Func<int, byte[], IEnumerable<byte[]>> rewrite, Action<byte[]>? responderFrames = null)
    {
        var (initiator, towardInitiator) = InMemoryFrameTransport.CreatePair();
        var (towardResponder, responder) = InMemoryFrameTransport.CreatePair();
        return (initiator, responder, new RewritingMiddle(towardInitiator, towardResponder, rewrite, responderFrames));
    }

    private static async Task PumpAsync(IFrameConnection from, IFrameConnection to, Func<byte[], IEnumerable<byte[]>> rewrite)
    {
        // Frames are valid only during OnNext: copy, then send outside it.
        var queue = Channel.CreateUnbounded<byte[]>();
        using var subscription = from.Frames.Subscribe(
            frame => queue.Writer.TryWrite(frame.ToArray()),
            error => queue.Writer.TryComplete(error),
            () => queue.Writer.TryComplete());
        try
        {
            await foreach (var frame in queue.Reader.ReadAllAsync())
            {
                foreach (var rewritten in rewrite(frame))
                    await to.SendAsync(rewritten);
            }
            await to.CompleteAsync();
        }
        catch (Exception error)
        {
            to.Abort(error);
            from.Abort(error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _towardInitiator.DisposeAsync();
        await _towardResponder.DisposeAsync();
        await Task.WhenAll(_initiatorToResponder, _responderToInitiator).WaitAsync(TimeSpan.FromSeconds(20));
    }
}
