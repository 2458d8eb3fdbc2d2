using System.Buffers;
using System.Threading.Channels;
using SecretChat.Framing;

namespace SecretChat.Transport.Tests;

/// <summary>
/// The TCP connection's own loops: frames are decoded on the receiving thread, and a frame sent from inside the
/// frame callback (a handshake's answer) goes out on that thread; nothing else may run on a caller's stack.
/// </summary>
public class SocketLoopTests
{
    [Fact]
    public async Task SendAsync_FromTheFrameCallback_PeerGetsEveryAnswerInOrder()
    {
        // Large enough, and enough of them, that answers outrun the socket's buffers and the send loop has to
        // wait for the socket part of the time (it then carries on from the thread pool).
        const int Count = 300;
        const int Size = 48 * 1024;
        await using var pair = await ConnectedPair.CreateAsync(TransportKind.Tcp);
        // A channel, not a list: the callback adds each send on the receiving thread, and the answer it sends can reach
        // the client (and the test read the sends) before the callback has added it.
        var sends = Channel.CreateUnbounded<Task>();
        using var echo = pair.Server.Frames.Subscribe(payload => sends.Writer.TryWrite(pair.Server.SendAsync(payload.ToArray()).AsTask()));
        var answers = pair.Client.ReceiveAsync(Count);

        for (var i = 0; i < Count; i++)
            await pair.Client.SendAsync(FrameRecording.Payload(Size, seed: i)).AsTask().WaitAsync(Timeouts.Default);

        var received = await answers.WaitAsync(Timeouts.Default);
        Assert.Equal(Count, received.Count);
        for (var i = 0; i < Count; i++)
            Assert.Equal(FrameRecording.Payload(Size, seed: i), received[i]);
        for (var i = 0; i < Count; i++)
            await (await sends.Reader.ReadAsync().AsTask().WaitAsync(Timeouts.Default)).WaitAsync(Timeouts.Default);
    }

    [Fact]
    public async Task CompleteAsync_FromTheFrameCallback_PeerGetsTheAnswerThenACleanEnd()
    {
        await using var pair = await ConnectedPair.CreateAsync(TransportKind.Tcp);
        // Handed over, not assigned to a local: the answer and the FIN go out on the receiving thread inside the
        // callback, so the client can see the clean end before the callback has stored the task it returned.
        var answered = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var answer = pair.Server.Frames.Subscribe(payload => answered.TrySetResult(AnswerAndCompleteAsync(pair.Server, payload.ToArray())));
        var atClient = pair.Client.ReceiveAllAsync();

        await pair.Client.SendAsync(FrameRecording.Payload(100)).AsTask().WaitAsync(Timeouts.Default);

        Assert.Equal(FrameRecording.Payload(100), Assert.Single(await atClient.WaitAsync(Timeouts.Default)));
        await (await answered.Task.WaitAsync(Timeouts.Default)).WaitAsync(Timeouts.Default);
    }

    [Fact]
    public async Task Abort_FromAnotherThread_TellsTheSubscriberOffTheCallersStack()
    {
        await using var pair = await ConnectedPair.CreateAsync(TransportKind.Tcp);
        var abortingThread = 0;
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var toldInsideAbort = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = pair.Server.Frames.Subscribe(
            _ => received.TrySetResult(),
            _ => toldInsideAbort.TrySetResult(Volatile.Read(ref abortingThread) == Environment.CurrentManagedThreadId),
            () => toldInsideAbort.TrySetResult(Volatile.Read(ref abortingThread) == Environment.CurrentManagedThreadId));
        await pair.Client.SendAsync(FrameRecording.Payload(1)).AsTask().WaitAsync(Timeouts.Default);
        await received.Task.WaitAsync(Timeouts.Default); // the read loop now waits for more, and Abort has to wake it

        Volatile.Write(ref abortingThread, Environment.CurrentManagedThreadId);
        pair.Server.Abort();
        Volatile.Write(ref abortingThread, 0);

        Assert.False(await toldInsideAbort.Task.WaitAsync(Timeouts.Default));
    }

    private static async Task AnswerAndCompleteAsync(IFrameConnection connection, byte[] payload)
    {
        var sending = connection.SendAsync(payload);
        var completing = connection.CompleteAsync();
        await sending;
        await completing;
    }
}
