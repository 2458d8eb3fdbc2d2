using System.Net;
using System.Net.Sockets;
using System.Reactive.Linq;
using System.Threading.Channels;
using SecretChat.Transport.Udp;

namespace SecretChat.Transport.Tests.Udp;

public sealed class UdpDatagramSocketTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);

    private readonly UdpDatagramSocket _a = UdpDatagramSocket.Bind(Loopback);
    private readonly UdpDatagramSocket _b = UdpDatagramSocket.Bind(Loopback);

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    /// <summary>Copies each datagram out of its OnNext into a channel the test awaits.</summary>
    private static (Channel<(IPEndPoint From, byte[] Bytes)> Inbox, IDisposable Subscription) Listen(UdpDatagramSocket socket)
    {
        var inbox = Channel.CreateUnbounded<(IPEndPoint, byte[])>();
        var subscription = socket.Datagrams.Subscribe(
            d => inbox.Writer.TryWrite((d.RemoteEndPoint, d.Payload.ToArray())),
            e => inbox.Writer.TryComplete(e),
            () => inbox.Writer.TryComplete());
        return (inbox, subscription);
    }

    private static async Task<(IPEndPoint From, byte[] Bytes)> Next(Channel<(IPEndPoint, byte[])> inbox) =>
        await inbox.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

    [Fact]
    public async Task SendAsync_Loopback_ArrivesWithTheSendersAddress()
    {
        var (inbox, subscription) = Listen(_b);
        using var _ = subscription;

        await _a.SendAsync("hello"u8.ToArray(), _b.LocalEndPoint);
        var (from, bytes) = await Next(inbox);

        Assert.Equal("hello"u8.ToArray(), bytes);
        Assert.Equal(_a.LocalEndPoint, from);
        Assert.NotEqual(0, _b.LocalEndPoint.Port);
    }

    [Fact]
    public async Task Datagrams_AfterSendingToAClosedPort_StillReceive()
    {
        var closedPort = UdpDatagramSocket.Bind(Loopback);
        var closed = closedPort.LocalEndPoint;
        closedPort.Dispose();
        var (inbox, subscription) = Listen(_a);
        using var _ = subscription;

        // Each of these draws an ICMP port unreachable, which some stacks report on the next receive.
        for (var i = 0; i < 3; i++)
            await _a.SendAsync("nobody"u8.ToArray(), closed);
        await _b.SendAsync("still alive"u8.ToArray(), _a.LocalEndPoint);

        var (from, bytes) = await Next(inbox);
        Assert.Equal("still alive"u8.ToArray(), bytes);
        Assert.Equal(_b.LocalEndPoint, from);
    }

    [Fact]
    public async Task Datagrams_OversizeDatagram_DroppedAndTheNextOneArrives()
    {
        var (inbox, subscription) = Listen(_b);
        using var _ = subscription;
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        await raw.SendToAsync(new byte[1300], SocketFlags.None, _b.LocalEndPoint);
        await raw.SendToAsync(new byte[1200], SocketFlags.None, _b.LocalEndPoint);

        var (_, bytes) = await Next(inbox);
        Assert.Equal(1200, bytes.Length);
        Assert.Equal(1, _b.OversizeDropped);
    }

    [Fact]
    public async Task SendAsync_ALongBurstNotAwaited_CompletesAtOnceAndArrivesInOrder()
    {
        // The reliability engine does not await its sends: one that completed later would overtake the next ones, and a
        // datagram out of order looks like a loss to the peer.
        var (inbox, subscription) = Listen(_b);
        using var _ = subscription;

        // 100 small datagrams fit the smallest default receive buffer (Linux: 208 KiB), so none is dropped.
        for (var i = 0; i < 100; i++)
            Assert.True(_a.SendAsync(BitConverter.GetBytes(i), _b.LocalEndPoint).IsCompletedSuccessfully, $"send {i}");

        for (var i = 0; i < 100; i++)
            Assert.Equal(i, BitConverter.ToInt32((await Next(inbox)).Bytes));
    }

    [Fact]
    public async Task Datagrams_ABurstFromTwoSenders_EachDatagramWithItsOwnSender()
    {
        // Sent before anyone listens, so the receive thread finds them queued together: every datagram keeps its own
        // sender although steady traffic reuses the last sender's endpoint.
        using var c = UdpDatagramSocket.Bind(Loopback);
        for (var i = 0; i < 40; i++)
            await (i % 2 == 0 ? _a : c).SendAsync(BitConverter.GetBytes(i), _b.LocalEndPoint);
        var (inbox, subscription) = Listen(_b);
        using var _ = subscription;

        for (var i = 0; i < 40; i++)
        {
            var (from, bytes) = await Next(inbox);
            Assert.Equal(i, BitConverter.ToInt32(bytes));
            Assert.Equal((i % 2 == 0 ? _a : c).LocalEndPoint, from);
        }
    }

    [Fact]
    public async Task Datagrams_Delivered_OnTheSocketsOwnThreadNotThePool()
    {
        // One kernel wake-up per datagram: the thread blocked in recvfrom runs OnNext, no pool thread in between.
        var onPool = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = _b.Datagrams.Subscribe(_ => onPool.TrySetResult(Thread.CurrentThread.IsThreadPoolThread));
        await _a.SendAsync(new byte[] { 1 }, _b.LocalEndPoint);
        Assert.False(await onPool.Task.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Datagrams_BetweenSubscriptions_GoToTheNextSubscriber()
    {
        var (first, subscription) = Listen(_b);
        await _a.SendAsync(new byte[] { 1 }, _b.LocalEndPoint);
        Assert.Equal([1], (await Next(first)).Bytes);
        subscription.Dispose();

        // The receive thread outlives the subscription: what comes meanwhile waits, and a new subscriber is taken at once.
        await _a.SendAsync(new byte[] { 2 }, _b.LocalEndPoint);
        await _a.SendAsync(new byte[] { 3 }, _b.LocalEndPoint);
        var (second, again) = Listen(_b);
        using var _ = again;
        Assert.Equal([2], (await Next(second)).Bytes);
        Assert.Equal([3], (await Next(second)).Bytes);
        Assert.False(first.Reader.TryRead(out var _));
    }

    [Fact]
    public async Task Datagrams_SubscriberThrows_ItsSubscriptionEndsAndTheNextOneReceives()
    {
        var detached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var throwing = _b.Datagrams.Finally(detached.SetResult).Subscribe(new ThrowingObserver());
        await _a.SendAsync("first"u8.ToArray(), _b.LocalEndPoint);
        await detached.Task.WaitAsync(Timeout); // the process is still here: the exception did not escape the socket's thread

        var (inbox, subscription) = Listen(_b);
        using var _ = subscription;
        await _a.SendAsync("second"u8.ToArray(), _b.LocalEndPoint);
        Assert.Equal("second"u8.ToArray(), (await Next(inbox)).Bytes);
    }

    private sealed class ThrowingObserver : IObserver<Datagram>
    {
        public void OnNext(Datagram value) => throw new InvalidOperationException("a subscriber's bug");
        public void OnError(Exception error) => throw error; // as an observer without an error handler does
        public void OnCompleted() { }
    }

    [Fact]
    public async Task Dispose_WhileReceiving_CompletesTheDatagrams()
    {
        var (inbox, _) = Listen(_b);
        _b.Dispose();
        await inbox.Reader.Completion.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Datagrams_SecondSubscriber_RefusedWhileTheFirstListens()
    {
        var (_, subscription) = Listen(_b);
        using var _ = subscription;
        var (second, _) = Listen(_b);
        await Assert.ThrowsAsync<InvalidOperationException>(() => second.Reader.Completion.WaitAsync(Timeout));
    }

    [Fact]
    public void SendAsync_ArgumentChecking()
    {
        Assert.Equal("datagram", Assert.Throws<ArgumentOutOfRangeException>(() => _a.SendAsync(new byte[1201], _b.LocalEndPoint)).ParamName);
        Assert.Equal("remoteEndPoint", Assert.Throws<ArgumentNullException>(() => _a.SendAsync(new byte[1], null!)).ParamName);
        Assert.Equal("localEndPoint", Assert.Throws<ArgumentNullException>(() => UdpDatagramSocket.Bind(null!)).ParamName);
        Assert.True(_a.ReceiveBufferSize > 0);
    }
}
