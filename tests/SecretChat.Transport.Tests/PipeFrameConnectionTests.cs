using System.Buffers.Binary;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Framing;

namespace SecretChat.Transport.Tests;

/// <summary>The connection contract, run over every transport.</summary>
public class PipeFrameConnectionTests
{
    public static TheoryData<TransportKind> Transports() => [TransportKind.InMemory, TransportKind.Tcp];

    public static TheoryData<TransportKind, int> TransportsAndLengths()
    {
        var data = new TheoryData<TransportKind, int>();
        foreach (var kind in Enum.GetValues<TransportKind>())
        {
            foreach (var length in new[] { 0, 1, 100, LengthPrefixedFrameCodec.DefaultMaxPayloadSize })
                data.Add(kind, length);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TransportsAndLengths))]
    public async Task SendAsync_OneFrame_ArrivesIntact(TransportKind kind, int length)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);
        var received = pair.Server.ReceiveAsync(1);
        var payload = FrameRecording.Payload(length);

        await pair.Client.SendAsync(payload).AsTask().WaitAsync(Timeouts.Default);

        Assert.Equal(payload, Assert.Single(await received.WaitAsync(Timeouts.Default)));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task SendAsync_ManyFramesThenComplete_ArriveInOrderAndComplete(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);
        var received = pair.Server.ReceiveAllAsync();
        var sent = Enumerable.Range(0, 1000).Select(i => FrameRecording.Payload(i % 300, seed: i)).ToList();

        foreach (var payload in sent)
            await pair.Client.SendAsync(payload).AsTask().WaitAsync(Timeouts.Default);
        await pair.Client.CompleteAsync().AsTask().WaitAsync(Timeouts.Default);

        Assert.Equal(sent, await received.WaitAsync(Timeouts.Default));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task SendAsync_ConcurrentSenders_FramesNeverInterleave(TransportKind kind)
    {
        const int senders = 8;
        const int framesPerSender = 100;
        await using var pair = await ConnectedPair.CreateAsync(kind);
        // Everything until the client completes: a receiver that stopped at the last frame could stop reading while the
        // last sender's flush still waits, and that sender would rightly hear that the peer no longer receives.
        var received = pair.Server.ReceiveAllAsync();

        // Each frame says who sent it and its number, then repeats that byte long enough to span segments.
        var sending = Enumerable.Range(0, senders).Select(sender => Task.Run(async () =>
        {
            for (var sequence = 0; sequence < framesPerSender; sequence++)
            {
                var payload = new byte[8 + 1000 + sender * 500];
                BinaryPrimitives.WriteInt32BigEndian(payload, sender);
                BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), sequence);
                payload.AsSpan(8).Fill((byte)(sender * 16 + sequence));
                await pair.Client.SendAsync(payload);
            }
        }));
        await Task.WhenAll(sending).WaitAsync(Timeouts.Default);
        await pair.Client.CompleteAsync().AsTask().WaitAsync(Timeouts.Default);

        var next = new int[senders];
        foreach (var frame in await received.WaitAsync(Timeouts.Default))
        {
            var sender = BinaryPrimitives.ReadInt32BigEndian(frame);
            var sequence = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
            Assert.Equal(8 + 1000 + sender * 500, frame.Length);
            Assert.Equal(next[sender]++, sequence);
            Assert.All(frame[8..], b => Assert.Equal((byte)(sender * 16 + sequence), b));
        }

        Assert.All(next, count => Assert.Equal(framesPerSender, count));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task CompleteAsync_Peer_FramesCompleteAndCanStillReply(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);
        var serverReceived = pair.Server.ReceiveAllAsync();
        var clientReceived = pair.Client.ReceiveAsync(1);

        await pair.Client.SendAsync(new byte[] { 1 }).AsTask().WaitAsync(Timeouts.Default);
        await pair.Client.CompleteAsync().AsTask().WaitAsync(Timeouts.Default);
        Assert.Single(await serverReceived.WaitAsync(Timeouts.Default));

        // Half-close: the other direction still works.
        await pair.Server.SendAsync(new byte[] { 2 }).AsTask().WaitAsync(Timeouts.Default);
        Assert.Equal([2], Assert.Single(await clientReceived.WaitAsync(Timeouts.Default)));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task SendAsync_AfterComplete_ThrowsInvalidOperationException(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);
        await pair.Client.CompleteAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => pair.Client.SendAsync(new byte[1]).AsTask());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Abort_Peer_FramesFailWithConnectionResetException(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);
        var received = pair.Server.ReceiveAllAsync();

        pair.Client.Abort(new TimeoutException("the peer went quiet"));

        var error = await Assert.ThrowsAsync<ConnectionResetException>(() => received.WaitAsync(Timeouts.Default));
        Assert.Contains("the peer", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Abort_ActiveSubscriber_FailsWithConnectionAbortedException(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);
        var received = pair.Client.ReceiveAllAsync();

        pair.Client.Abort(new TimeoutException("the peer went quiet"));

        var error = await Assert.ThrowsAsync<ConnectionAbortedException>(() => received.WaitAsync(Timeouts.Default));
        Assert.Equal("the connection was aborted: the peer went quiet", error.Message);
        Assert.IsType<TimeoutException>(error.InnerException);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task SendAsync_AfterAbort_ThrowsConnectionAbortedException(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);

        pair.Client.Abort();

        var error = await Assert.ThrowsAsync<ConnectionAbortedException>(() => pair.Client.SendAsync(new byte[1]).AsTask());
        Assert.Equal("the connection was aborted", error.Message);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task SendAsync_AfterDispose_ThrowsObjectDisposedException(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);
        var received = pair.Server.ReceiveAllAsync();

        await pair.Client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => pair.Client.SendAsync(new byte[1]).AsTask());
        Assert.Empty(await received.WaitAsync(Timeouts.Default)); // disposal closes gracefully
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task DisposeAsync_ActiveSubscriber_FailsWithConnectionAbortedException(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);
        var received = pair.Client.ReceiveAllAsync();

        await pair.Client.DisposeAsync();

        var error = await Assert.ThrowsAsync<ConnectionAbortedException>(() => received.WaitAsync(Timeouts.Default));
        Assert.Equal("the connection was closed locally", error.Message);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Abort_Repeated_AndAfterDispose_DoesNotThrow(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);

        pair.Client.Abort();
        pair.Client.Abort(new TimeoutException());
        await pair.Client.DisposeAsync();
        pair.Server.Abort();
        await pair.Server.DisposeAsync();
        pair.Server.Abort();
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Frames_SubscribeAfterAbort_FailsWithConnectionAbortedException(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);

        pair.Server.Abort();

        await Assert.ThrowsAsync<ConnectionAbortedException>(() => pair.Server.ReceiveAllAsync().WaitAsync(Timeouts.Default));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Frames_SecondSubscription_FailsWithInvalidOperationException(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);
        using var first = pair.Server.Frames.Subscribe(_ => { });

        await Assert.ThrowsAsync<InvalidOperationException>(
            () => pair.Server.Frames.FirstOrDefaultAsync().ToTask().WaitAsync(Timeouts.Default));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task SendAsync_PayloadOverTheLimit_ThrowsArgumentExceptionAtTheCall(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind, new FrameConnectionOptions { MaxPayloadSize = 10 });

        var error = Assert.Throws<ArgumentException>(() => { _ = pair.Client.SendAsync(new byte[11]); });

        Assert.Equal("payload", error.ParamName);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Frames_ObserverThrows_ConnectionIsAbortedWithThatReason(TransportKind kind)
    {
        await using var pair = await ConnectedPair.CreateAsync(kind);
        var peerReceived = pair.Client.ReceiveAllAsync();
        var thrown = new InvalidOperationException("the consumer broke");
        pair.Server.Frames.Subscribe(_ => throw thrown, _ => { });

        await pair.Client.SendAsync(new byte[] { 1 }).AsTask().WaitAsync(Timeouts.Default);

        await Assert.ThrowsAsync<ConnectionResetException>(() => peerReceived.WaitAsync(Timeouts.Default));
        var error = await Assert.ThrowsAsync<ConnectionAbortedException>(() => pair.Server.SendAsync(new byte[1]).AsTask());
        Assert.Same(thrown, error.InnerException);
    }

    [Fact]
    public async Task Frames_Unsubscribed_PeerSeesThatNobodyReceives()
    {
        await using var pair = await ConnectedPair.CreateAsync(TransportKind.InMemory);
        var subscription = pair.Server.Frames.Subscribe(_ => { });

        subscription.Dispose();

        // The sends that fit in the pipe succeed; once the pipe knows the reader is gone, a send fails.
        var sending = Task.Run(async () =>
        {
            while (true)
                await pair.Client.SendAsync(new byte[1000]);
        });
        var error = await Assert.ThrowsAsync<ConnectionClosedException>(() => sending.WaitAsync(Timeouts.Default));
        Assert.Equal("the peer is no longer receiving on this connection", error.Message);
    }

    [Fact]
    public async Task Frames_PeerClosesMidFrame_FailsWithConnectionClosedException()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        var unused = new System.IO.Pipelines.Pipe();
        var connection = new PipeFrameConnection(new DuplexPipe(pipe.Reader, unused.Writer));
        var received = connection.ReceiveAllAsync();

        await pipe.Writer.WriteAsync(new byte[] { 0, 0, 0, 1, 42, 0, 0, 0, 5, 1, 2 });
        await pipe.Writer.CompleteAsync();

        var error = await Assert.ThrowsAsync<ConnectionClosedException>(() => received.WaitAsync(Timeouts.Default));
        Assert.Equal("the peer closed the connection in the middle of a frame", error.Message);
    }

    [Fact]
    public async Task Frames_OversizeHeader_FailsWithFrameTooLargeException()
    {
        var pipe = new System.IO.Pipelines.Pipe();
        var unused = new System.IO.Pipelines.Pipe();
        var connection = new PipeFrameConnection(new DuplexPipe(pipe.Reader, unused.Writer));
        var received = connection.ReceiveAllAsync();

        // Only the header: the limit is enforced without waiting for four gigabytes.
        await pipe.Writer.WriteAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF });

        var error = await Assert.ThrowsAsync<FrameTooLargeException>(() => received.WaitAsync(Timeouts.Default));
        Assert.Equal(uint.MaxValue, error.DeclaredLength);
    }

    [Fact]
    public void Constructor_NullTransport_ThrowsNamingTheParameter()
    {
        var error = Assert.Throws<ArgumentNullException>(() => new PipeFrameConnection(null!));
        Assert.Equal("transport", error.ParamName);
    }

    private sealed record DuplexPipe(System.IO.Pipelines.PipeReader Input, System.IO.Pipelines.PipeWriter Output)
        : System.IO.Pipelines.IDuplexPipe;
}
