using System.Buffers;
using System.Net;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Microsoft.Reactive.Testing;
using SecretChat.Framing;

namespace SecretChat.Transport.Tests.Tcp;

/// <summary>
/// What a completed TCP send promises now that it completes once queued (not once the socket has the bytes):
/// nothing queued is lost by closing, and a peer that does not read still pushes back.
/// </summary>
public class TcpSendSemanticsTests
{
    // Under the 1 MiB at which the send pipe pauses: every send completes even while the peer reads nothing.
    private const int QueuedFrames = 12;

    [Fact]
    public async Task DisposeAsync_RightAfterSends_PeerReceivesEveryFrameThenACleanEnd()
    {
        await using var pair = await ConnectedPair.CreateAsync(TransportKind.Tcp);
        var sent = Enumerable.Range(0, QueuedFrames).Select(i => FrameRecording.Payload(LengthPrefixedFrameCodec.DefaultMaxPayloadSize, seed: i)).ToList();
        foreach (var payload in sent)
            await pair.Client.SendAsync(payload).AsTask().WaitAsync(Timeouts.Default);

        // The peer starts reading only once disposal has begun: the frames are still queued on this side.
        var disposing = pair.Client.DisposeAsync().AsTask();
        var received = pair.Server.ReceiveAllAsync();

        Assert.Equal(sent, await received.WaitAsync(Timeouts.Default));
        await disposing.WaitAsync(Timeouts.Default);
    }

    [Fact]
    public async Task CompleteAsync_RightAfterSends_PeerReceivesEveryFrameBeforeTheEnd()
    {
        await using var pair = await ConnectedPair.CreateAsync(TransportKind.Tcp);
        var sent = Enumerable.Range(0, QueuedFrames).Select(i => FrameRecording.Payload(LengthPrefixedFrameCodec.DefaultMaxPayloadSize, seed: i)).ToList();
        foreach (var payload in sent)
            await pair.Client.SendAsync(payload).AsTask().WaitAsync(Timeouts.Default);

        await pair.Client.CompleteAsync().AsTask().WaitAsync(Timeouts.Default);
        var received = pair.Server.ReceiveAllAsync();

        Assert.Equal(sent, await received.WaitAsync(Timeouts.Default));
    }

    [Fact]
    public async Task SendAsync_PeerNotReading_EventuallyWaits_AndCompletesOnceThePeerReads()
    {
        await using var pair = await ConnectedPair.CreateAsync(TransportKind.Tcp);
        var payload = FrameRecording.Payload(LengthPrefixedFrameCodec.DefaultMaxPayloadSize);

        // Far more than the socket buffers and the 1 MiB send pipe together can hold.
        ValueTask pending = default;
        var completedSends = 0;
        for (; completedSends < 2_000; completedSends++)
        {
            pending = pair.Client.SendAsync(payload);
            if (!pending.IsCompleted)
                break;
            await pending;
        }

        Assert.False(pending.IsCompleted, "every send completed although the peer read nothing");
        var received = pair.Server.Frames.Take(completedSends + 1).Count().ToTask();
        await pending.AsTask().WaitAsync(Timeouts.Default);
        Assert.Equal(completedSends + 1, await received.WaitAsync(Timeouts.Default));
    }

    [Fact]
    public async Task DisposeAsync_TransportNeverDrains_ClosesAbortivelyAfterTheCloseTimeout()
    {
        // A socket whose peer never reads cannot be made to hold exactly so much: the kernel's buffers grow.
        // A transport whose drain never completes is the same case, deterministically.
        var scheduler = new TestScheduler();
        var outbound = new System.IO.Pipelines.Pipe();
        var inbound = new System.IO.Pipelines.Pipe();
        var connection = new StuckTransportConnection(inbound.Reader, outbound.Writer,
            FrameConnectionOptions.Default with { CloseTimeout = TimeSpan.FromSeconds(5), Scheduler = scheduler });
        await connection.SendAsync(new byte[] { 1 });

        var disposing = connection.DisposeAsync().AsTask();
        Assert.False(disposing.IsCompleted);
        Assert.Null(connection.ClosedAbortively);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(5).Ticks - 1);
        Assert.False(disposing.IsCompleted);
        Assert.Null(connection.ClosedAbortively);
        scheduler.AdvanceBy(1);

        await disposing.WaitAsync(Timeouts.Default);
        Assert.True(connection.ClosedAbortively);
    }

    [Theory]
    [MemberData(nameof(PipeFrameConnectionTests.Transports), MemberType = typeof(PipeFrameConnectionTests))]
    public async Task SendAsync_InPlace_WritesThePayloadTheCallbackProduces(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);
        var received = pair.Server.ReceiveAsync(2);

        await pair.Client.SendAsync(3, (byte)7, static (span, value) => span.Fill(value)).AsTask().WaitAsync(Timeouts.Default);
        await pair.Client.SendAsync(0, 0, static (span, _) => Assert.True(span.IsEmpty)).AsTask().WaitAsync(Timeouts.Default);

        var frames = await received.WaitAsync(Timeouts.Default);
        Assert.Equal([7, 7, 7], frames[0]);
        Assert.Empty(frames[1]);
    }

    [Theory]
    [MemberData(nameof(PipeFrameConnectionTests.Transports), MemberType = typeof(PipeFrameConnectionTests))]
    public async Task SendAsyncInPlace_CallbackThrows_NothingIsSentAndTheConnectionGoesOn(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);
        var received = pair.Server.ReceiveAsync(1);

        var error = await Assert.ThrowsAsync<InvalidDataException>(
            () => pair.Client.SendAsync(10, 0, static (_, _) => throw new InvalidDataException("no")).AsTask());
        await pair.Client.SendAsync(new byte[] { 1 }).AsTask().WaitAsync(Timeouts.Default);

        Assert.Equal("no", error.Message);
        Assert.Equal([1], Assert.Single(await received.WaitAsync(Timeouts.Default)));
    }

    [Fact]
    public async Task SendAsyncInPlace_PayloadOverTheLimit_ThrowsArgumentExceptionAtTheCall()
    {
        await using var pair = await ConnectedPair.CreateAsync(TransportKind.InMemory, new FrameConnectionOptions { MaxPayloadSize = 10 });

        var error = Assert.Throws<ArgumentException>(() => { _ = pair.Client.SendAsync(11, 0, static (_, _) => { }); });
        Assert.Equal("payloadLength", error.ParamName);
    }

    [Fact]
    public async Task SendAsyncInPlace_DefaultImplementation_SendsThroughSendAsync()
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        await using var _ = left;
        await using var __ = right;
        IFrameConnection recording = new RecordingConnection(left);
        var received = right.ReceiveAsync(1);

        await recording.SendAsync(4, 9, static (span, value) => span.Fill((byte)value)).AsTask().WaitAsync(Timeouts.Default);

        Assert.Equal([9, 9, 9, 9], Assert.Single(await received.WaitAsync(Timeouts.Default)));
        Assert.Equal(1, ((RecordingConnection)recording).Sends);
    }

    [Fact]
    public void Options_NonPositiveCloseTimeout_IsRefused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => InMemoryFrameTransport.CreatePair(new FrameConnectionOptions { CloseTimeout = TimeSpan.Zero }));
        Assert.Equal("CloseTimeout", error.ParamName);
    }

    /// <summary>An implementer that knows only the original members: the in-place send falls back to them.</summary>
    private sealed class RecordingConnection(IFrameConnection inner) : IFrameConnection
    {
        public int Sends { get; private set; }

        public IObservable<ReadOnlySequence<byte>> Frames => inner.Frames;

        public EndPoint? RemoteEndPoint => inner.RemoteEndPoint;

        public ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
        {
            Sends++;
            return inner.SendAsync(payload, cancellationToken);
        }

        public ValueTask CompleteAsync() => inner.CompleteAsync();

        public void Abort(Exception? reason = null) => inner.Abort(reason);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>A connection whose transport never finishes passing on what it was given.</summary>
    private sealed class StuckTransportConnection(System.IO.Pipelines.PipeReader input, System.IO.Pipelines.PipeWriter output, FrameConnectionOptions options)
        : PipeFrameConnection(new DuplexPipe(input, output), options)
    {
        public bool? ClosedAbortively { get; private set; }

        protected override Task OutputDrained => new TaskCompletionSource().Task;

        protected override void CloseTransport(bool abortive) => ClosedAbortively = abortive;
    }

    private sealed record DuplexPipe(System.IO.Pipelines.PipeReader Input, System.IO.Pipelines.PipeWriter Output)
        : System.IO.Pipelines.IDuplexPipe;
}
