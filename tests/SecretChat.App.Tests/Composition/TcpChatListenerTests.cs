using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.App.Tests.Chat;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Framing;
using SecretChat.Security;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Composition;

/// <summary>
/// Issue 14, attacks 3 and 7 against the real TCP stack on loopback: strangers that hold handshakes open, drip,
/// go silent or send what the chat cannot handle never keep a real peer out of a listener.
/// </summary>
public class TcpChatListenerTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>What the listener gives the strangers: far longer than any test, so only concurrency lets a peer in.</summary>
    private static readonly TimeSpan StrangersHandshakeTimeout = TimeSpan.FromSeconds(60);

    // A noise initiator's hello (docs/PROTOCOL.md §3.1) as one TCP frame.
    private static readonly byte[] NoiseHelloFrame = [0, 0, 0, 0x0e, 0x53, 0x43, 0x48, 0x54, 0x02, 0x01, 0x01, 0x02, 0x05, 0x6e, 0x6f, 0x69, 0x73, 0x65];

    [Fact]
    public async Task AcceptAsync_StrangersHoldOpenHandshakes_ARealPeerGetsInWhileTheyStillHoldThem()
    {
        // The listener's timers never fire: no stranger's handshake can time out to make room, so only handshakes
        // run side by side let alice in (a listener wedged by the strangers keeps her out for good). Wall-clock time
        // is printed, not asserted: a loaded machine says nothing about the listener.
        await using var bob = Listen(scheduler: new TimersThatNeverFire());
        var warmingUp = bob.Listener.AcceptAsync(); // the first handshake also compiles the stack: not what is measured
        await using (await ConnectAsync(bob.EndPoint).WaitAsync(Timeouts.Default))
        await using (await warmingUp.WaitAsync(Timeouts.Default))
        {
        }
        var accepting = bob.Listener.AcceptAsync();
        await using var strangers = new Strangers();
        for (var i = 0; i < 4; i++)
            await strangers.ConnectSilentAsync(bob.EndPoint);
        for (var i = 0; i < 2; i++)
            await strangers.ConnectDrippingAsync(bob.EndPoint);
        for (var i = 0; i < 2; i++)
            await strangers.ConnectHalfwayAsync(bob.EndPoint);

        var clock = Stopwatch.StartNew();
        await using var alice = await ConnectAsync(bob.EndPoint).WaitAsync(Timeouts.Default);
        await using var atBob = await accepting.WaitAsync(Timeouts.Default);
        clock.Stop();
        output.WriteLine($"a real peer got in past 8 strangers in {clock.Elapsed.TotalMilliseconds:0} ms");

        Assert.Equal("alice", (await atBob.Events.OfType<Connected>().FirstAsync().ToTask().WaitAsync(Timeouts.Default)).Peer);
        Assert.Equal(8, bob.Listener.PendingHandshakes); // every stranger is still in its handshake, none was dropped to make room
        Assert.Equal(0, bob.Listener.RejectionCount);
    }

    [Theory]
    [InlineData("silent")]
    [InlineData("drip")]
    [InlineData("halfway")]
    [InlineData("garbage")]
    [InlineData("empty-name")]
    [InlineData("timestamp-max")]
    [InlineData("handshake-then-silence")]
    public async Task AcceptAsync_AfterAWedgingAttempt_ServesTheNextPeer(string attempt)
    {
        await using var bob = Listen();
        var accepting = bob.Listener.AcceptAsync();
        await using var strangers = new Strangers();
        switch (attempt)
        {
            case "silent": await strangers.ConnectSilentAsync(bob.EndPoint); break;
            case "drip": await strangers.ConnectDrippingAsync(bob.EndPoint); break;
            case "halfway": await strangers.ConnectHalfwayAsync(bob.EndPoint); break;
            case "garbage": await strangers.ConnectAndSendAsync(bob.EndPoint, [0, 0, 0, 5, 1, 2, 3, 4, 5]); break;
            case "empty-name": await strangers.HandshakeAsync(bob.EndPoint, name: ""); break;
            case "timestamp-max":
                var stranger = await strangers.HandshakeAsync(bob.EndPoint, "mallory");
                await stranger.SendAsync(ChatSessionHostilePeerTests.Envelope(EnvelopeKind.Text, 1, long.MaxValue, "hi"));
                break;
            default: await strangers.HandshakeAsync(bob.EndPoint, "mallory"); break;
        }

        if (attempt is "empty-name" or "timestamp-max" or "handshake-then-silence")
        {
            // A stranger that completed its handshake is a peer like any other: it is handed out, and whatever it
            // does, its session ends or the application ends it; then the listener waits for the next.
            await using var first = await accepting.WaitAsync(Timeouts.Default);
            Assert.NotEqual("alice", (await first.Events.OfType<Connected>().FirstAsync().ToTask().WaitAsync(Timeouts.Default)).Peer);
            if (attempt == "timestamp-max")
                await first.Completion.WaitAsync(Timeouts.Default);
            accepting = bob.Listener.AcceptAsync();
        }

        await using var alice = await ConnectAsync(bob.EndPoint).WaitAsync(Timeouts.Default);
        await using var atBob = await accepting.WaitAsync(Timeouts.Default);
        Assert.Equal("alice", (await atBob.Events.OfType<Connected>().FirstAsync().ToTask().WaitAsync(Timeouts.Default)).Peer);
    }

    [Fact]
    public async Task AcceptAsync_StrangerSendsATimestampOfLongMaxValue_ItsSessionEndsAndItIsToldItBrokeTheProtocol()
    {
        await using var bob = Listen();
        var accepting = bob.Listener.AcceptAsync();
        await using var strangers = new Strangers();
        var stranger = await strangers.HandshakeAsync(bob.EndPoint, "mallory");
        await using var atBob = await accepting.WaitAsync(Timeouts.Default);

        await stranger.SendAsync(ChatSessionHostilePeerTests.Envelope(EnvelopeKind.Text, 1, long.MaxValue, "hi"));

        await atBob.Completion.WaitAsync(Timeouts.Default);
        var end = await atBob.Events.OfType<Disconnected>().FirstAsync().ToTask().WaitAsync(Timeouts.Default);
        Assert.Contains("timestamp", end.Reason);
        var close = await strangers.NextCloseAsync(stranger).WaitAsync(Timeouts.Default);
        Assert.Equal(CloseReason.ProtocolError, close.Reason);
        Assert.Contains("timestamp", close.Text);
    }

    [Fact]
    public async Task AcceptAsync_ListenerFull_TellsTheNewcomerItIsBusyInOneSentenceAndCountsTheRejection()
    {
        await using var bob = Listen(maxPending: 2);
        var rejections = bob.Listener.Rejections.Replay();
        using var _ = rejections.Connect();
        var accepting = bob.Listener.AcceptAsync();
        await using var strangers = new Strangers();
        await strangers.ConnectSilentAsync(bob.EndPoint);
        await strangers.ConnectSilentAsync(bob.EndPoint);

        // The newcomer is never connected: the listener's Close arrives instead of its Hello.
        var refused = await Assert.ThrowsAsync<ChatFailedException>(() => ConnectAsync(bob.EndPoint).WaitAsync(Timeouts.Default));
        Assert.Equal("The peer closed the session: it is shutting down (the listener is busy with 2 pending handshakes; try again shortly).", refused.Message);
        Assert.Contains("The listener is busy with 2 pending handshakes; try again shortly.", await rejections.FirstAsync().ToTask().WaitAsync(Timeouts.Default));
        Assert.Equal(1, bob.Listener.RejectionCount);
        Assert.Equal(2, bob.Listener.PendingHandshakes);
        Assert.False(accepting.IsCompleted);
    }

    [Fact]
    public async Task Rejections_ManyStrangersFailAtOnce_AreNeverPushedTwiceAtOnce()
    {
        // Each stranger's handshake fails on its own task (or it is turned away as busy), so rejections come from many
        // threads at once; an observer must still see them one after another (Rx's contract).
        const int strangerCount = 40;
        await using var bob = Listen(maxPending: 8);
        var probe = new OverlapProbe();
        var rejected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = 0;
        using var watching = bob.Listener.Rejections.Subscribe(_ =>
        {
            probe.Enter();
            if (Interlocked.Increment(ref seen) == strangerCount)
                rejected.TrySetResult();
        });
        var accepting = bob.Listener.AcceptAsync();
        await using var strangers = new Strangers();

        await Task.WhenAll(Enumerable.Range(0, strangerCount).Select(_ => strangers.ConnectAndSendAsync(bob.EndPoint, [0, 0, 0, 5, 1, 2, 3, 4, 5])));
        await rejected.Task.WaitAsync(Timeouts.Default);

        Assert.Equal(0, probe.Overlaps);
        Assert.Equal(strangerCount, probe.Calls);
        Assert.Equal(strangerCount, bob.Listener.RejectionCount);
        Assert.False(accepting.IsCompleted);
    }

    [Fact]
    public async Task DisposeAsync_HandshakesPending_CancelsThemAndClosesEveryStrangersConnection()
    {
        var bob = Listen();
        var accepting = bob.Listener.AcceptAsync();
        await using var strangers = new Strangers();
        var silent = new List<TcpClient>();
        for (var i = 0; i < 3; i++)
            silent.Add(await strangers.ConnectSilentAsync(bob.EndPoint));
        // Alice came after them: once she is accepted, so were they (the backlog is first come, first served).
        await using var alice = await ConnectAsync(bob.EndPoint).WaitAsync(Timeouts.Default);
        await using var atBob = await accepting.WaitAsync(Timeouts.Default);
        Assert.Equal(3, bob.Listener.PendingHandshakes);
        var waiting = bob.Listener.AcceptAsync();

        await bob.DisposeAsync().AsTask().WaitAsync(Timeouts.Default);

        Assert.Equal(0, bob.Listener.PendingHandshakes);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Timeouts.Default));
        foreach (var client in silent)
            Assert.True(await Strangers.ClosedByThePeerAsync(client).WaitAsync(Timeouts.Default), "a stranger's connection was left open");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => bob.Listener.AcceptAsync());
        Assert.Equal(ChatSessionState.Connected, ((ChatSession)atBob).State); // a session already handed out stays open
    }

    private static Bob Listen(int maxPending = ChatOptions.DefaultMaxPendingHandshakes, IScheduler? scheduler = null)
    {
        var frames = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var endPoint = frames.LocalEndPoint;
        var listener = (ChatListener)ChatListener.Over(frames, SecurityChoice.AcceptingAnyPeer(new NoiseSecurity(StaticKeyPair.Generate())),
            new ChatOptions { EndPoint = "unused", Name = "bob", HandshakeTimeout = StrangersHandshakeTimeout, MaxPendingHandshakes = maxPending }, scheduler);
        return new Bob(listener, endPoint);
    }

    private static Task<IChat> ConnectAsync(IPEndPoint endPoint) =>
        new ChatConnector(security: _ => SecurityChoice.AcceptingAnyPeer(new NoiseSecurity(StaticKeyPair.Generate())))
            .ConnectAsync(new ChatOptions { EndPoint = endPoint.ToString(), Name = "alice", HandshakeTimeout = Timeouts.Default });

    /// <summary>
    /// A clock whose timers never fire (what is due now runs on the thread pool), safe from the many threads a listener
    /// schedules on, as a TestScheduler is not.
    /// </summary>
    private sealed class TimersThatNeverFire : IScheduler
    {
        public DateTimeOffset Now => DateTimeOffset.UtcNow;

        public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action) =>
            DefaultScheduler.Instance.Schedule(state, (_, s) => action(this, s));

        public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action) =>
            dueTime <= TimeSpan.Zero ? Schedule(state, action) : Disposable.Empty;

        public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) =>
            Schedule(state, dueTime - Now, action);
    }

    private sealed record Bob(ChatListener Listener, IPEndPoint EndPoint) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Listener.DisposeAsync();
    }

    /// <summary>The strangers of one test, each holding its connection open until the test ends.</summary>
    private sealed class Strangers : IAsyncDisposable
    {
        private readonly CancellationTokenSource _end = new();
        private readonly List<IAsyncDisposable> _held = [];
        private readonly List<Task> _drips = [];
        private readonly Dictionary<FramedSecureChannel, IObservable<ReadOnlySequence<byte>>> _inbound = [];

        public async Task<TcpClient> ConnectSilentAsync(IPEndPoint endPoint)
        {
            var client = new TcpClient(AddressFamily.InterNetwork);
            _held.Add(new Disposing(client.Dispose));
            await client.ConnectAsync(endPoint);
            return client;
        }

        public async Task ConnectAndSendAsync(IPEndPoint endPoint, byte[] bytes)
        {
            var client = await ConnectSilentAsync(endPoint);
            await client.GetStream().WriteAsync(bytes);
        }

        /// <summary>A valid hello and the first noise message (an ephemeral key), then nothing.</summary>
        public Task ConnectHalfwayAsync(IPEndPoint endPoint)
        {
            using var ephemeral = StaticKeyPair.Generate();
            return ConnectAndSendAsync(endPoint, [.. NoiseHelloFrame, 0, 0, 0, 32, .. ephemeral.PublicKey.Span]);
        }

        /// <summary>A valid hello, one byte every half second.</summary>
        public async Task ConnectDrippingAsync(IPEndPoint endPoint)
        {
            var stream = (await ConnectSilentAsync(endPoint)).GetStream();
            _drips.Add(Task.Run(async () =>
            {
                try
                {
                    foreach (var b in NoiseHelloFrame)
                    {
                        await stream.WriteAsync(new[] { b }, _end.Token);
                        await Task.Delay(TimeSpan.FromMilliseconds(500), _end.Token); // the attacker's pace, not a wait for an event
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
                {
                }
            }));
        }

        /// <summary>
        /// A real noise handshake as the initiator, named <paramref name="name"/>, and the Hello a chat sends once it
        /// accepted the listener; the test then sends what it likes.
        /// </summary>
        public async Task<FramedSecureChannel> HandshakeAsync(IPEndPoint endPoint, string name)
        {
            var connection = await TcpTransport.ConnectAsync(endPoint.Address.ToString(), endPoint.Port);
            var channel = new FramedSecureChannel(connection, new NoiseSecurity(StaticKeyPair.Generate()), HandshakeRole.Initiator,
                TimeSpan.FromSeconds(10), greeting: new HandshakeGreeting(name, ChatSession.Capabilities));
            _held.Add(channel);
            var inbound = channel.Messages.Select(m => m.ToArray()).Replay();
            _held.Add(new Disposing(inbound.Connect().Dispose));
            _inbound[channel] = inbound.Select(m => new ReadOnlySequence<byte>(m));
            await channel.Established.WaitAsync(Timeouts.Default);
            await channel.SendAsync(ChatSessionHostilePeerTests.Envelope(EnvelopeKind.Hello, 0, 0, ""));
            return channel;
        }

        /// <summary>The first Close the listener sent to <paramref name="channel"/>.</summary>
        public Task<CloseBody> NextCloseAsync(FramedSecureChannel channel) => _inbound[channel]
            .Select(m => EnvelopeCodec.TryDecode(m, out var header, out var body) && header.Kind == EnvelopeKind.Close ? CloseBody.Decode(body.ToArray()) : (CloseBody?)null)
            .Where(c => c is not null).Select(c => c!.Value).FirstAsync().ToTask();

        /// <summary>True once the listener closed <paramref name="client"/>'s connection (end of stream or reset).</summary>
        public static async Task<bool> ClosedByThePeerAsync(TcpClient client)
        {
            var buffer = new byte[256];
            try
            {
                while (await client.GetStream().ReadAsync(buffer) > 0)
                {
                }
                return true;
            }
            catch (IOException)
            {
                return true;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _end.CancelAsync();
            await Task.WhenAll(_drips);
            foreach (var held in _held)
                await held.DisposeAsync();
            _end.Dispose();
        }

        private sealed class Disposing(Action dispose) : IAsyncDisposable
        {
            public ValueTask DisposeAsync()
            {
                dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
