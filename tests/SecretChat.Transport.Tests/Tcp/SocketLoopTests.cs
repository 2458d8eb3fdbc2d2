using System.Buffers;
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
        var sends = new List<Task>();
        using var echo = pair.Server.Frames.Subscribe(payload => sends.Add(pair.Server.SendAsync(payload.ToArray()).AsTask()));
        var answers = pair.Client.ReceiveAsync(Count);

        for (var i = 0; i < Count; i++)
            await pair.Client.SendAsync(FrameRecording.Payload(Size, seed: i)).AsTask().WaitAsync(Timeouts.Default);

        var received = await answers.WaitAsync(Timeouts.Default);
        Assert.Equal(Count, received.Count);
        for (var i = 0; i < Count; i++)
            Assert.Equal(FrameRecording.Payload(Size, seed: i), received[i]);
        await Task.WhenAll(sends).WaitAsync(Timeouts.Default);
    }

    [Fact]
    public async Task CompleteAsync_FromTheFrameCallback_PeerGetsTheAnswerThenACleanEnd()
    {
        await using var pair = await ConnectedPair.CreateAsync(TransportKind.Tcp);
        Task? answered = null;
        using var answer = pair.Server.Frames.Subscribe(payload =>
        {
            answered = AnswerAndCompleteAsync(pair.Server, payload.ToArray());
        });
        var atClient = pair.Client.ReceiveAllAsync();

        await pair.Client.SendAsync(FrameRecording.Payload(100)).AsTask().WaitAsync(Timeouts.Default);

        Assert.Equal(FrameRecording.Payload(100), Assert.Single(await atClient.WaitAsync(Timeouts.Default)));
        Assert.NotNull(answered);
        await answered.WaitAsync(Timeouts.Default);
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
