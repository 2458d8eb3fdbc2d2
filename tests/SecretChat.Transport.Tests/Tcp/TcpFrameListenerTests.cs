using System.Net;
using System.Net.Sockets;
using SecretChat.Framing;

namespace SecretChat.Transport.Tests.Tcp;

public class TcpFrameListenerTests
{
    [Fact]
    public async Task Start_PortZero_ReportsThePortTheSystemChose()
    {
        await using var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));

        Assert.Equal(IPAddress.Loopback, listener.LocalEndPoint.Address);
        Assert.NotEqual(0, listener.LocalEndPoint.Port);
    }

    [Fact]
    public async Task Start_PortInUse_ThrowsTransportExceptionSayingSo()
    {
        await using var first = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));

        var error = Assert.Throws<TransportException>(() => TcpFrameListener.Start(first.LocalEndPoint));

        Assert.Equal($"cannot listen on {first.LocalEndPoint}: the address is already in use", error.Message);
    }

    [Fact]
    public async Task AcceptAsync_AfterABadPeer_KeepsAccepting()
    {
        await using var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));

        // A peer that sends garbage and resets, then one that speaks the protocol.
        var badAccept = listener.AcceptAsync().AsTask();
        var bad = await RawPeer.ConnectAsync(listener.LocalEndPoint);
        await using var badServer = await badAccept.WaitAsync(Timeouts.Default);
        var badFrames = badServer.ReceiveAllAsync();
        await bad.SendAsync(new byte[] { 0x7F, 0x00, 0x00, 0x00, 0xDE, 0xAD });
        RawPeer.Reset(bad);
        await Assert.ThrowsAnyAsync<IOException>(() => badFrames.WaitAsync(Timeouts.Default));

        var goodAccept = listener.AcceptAsync().AsTask();
        await using var good = await TcpTransport.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port).WaitAsync(Timeouts.Default);
        await using var goodServer = await goodAccept.WaitAsync(Timeouts.Default);
        var received = goodServer.ReceiveAsync(1);
        await good.SendAsync(new byte[] { 1, 2, 3 }).AsTask().WaitAsync(Timeouts.Default);

        Assert.Equal([1, 2, 3], Assert.Single(await received.WaitAsync(Timeouts.Default)));
    }

    [Fact]
    public async Task AcceptAsync_ListenerDisposedWhileWaiting_ThrowsObjectDisposedException()
    {
        var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();

        await listener.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => accepting.WaitAsync(Timeouts.Default));
    }

    [Fact]
    public async Task AcceptAsync_Canceled_ThrowsOperationCanceledException()
    {
        await using var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        using var cancellation = new CancellationTokenSource();
        var accepting = listener.AcceptAsync(cancellation.Token).AsTask();

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => accepting.WaitAsync(Timeouts.Default));
    }

    [Fact]
    public async Task DisposeAsync_AcceptedConnections_StayOpen()
    {
        var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        await using var client = await TcpTransport.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port).WaitAsync(Timeouts.Default);
        await using var server = await accepting.WaitAsync(Timeouts.Default);
        var received = server.ReceiveAsync(1);

        await listener.DisposeAsync();
        await client.SendAsync(new byte[] { 9 }).AsTask().WaitAsync(Timeouts.Default);

        Assert.Equal([9], Assert.Single(await received.WaitAsync(Timeouts.Default)));
    }

    [Fact]
    public void Start_NullEndPoint_ThrowsNamingTheParameter()
    {
        var error = Assert.Throws<ArgumentNullException>(() => TcpFrameListener.Start(null!));
        Assert.Equal("endPoint", error.ParamName);
    }
}
