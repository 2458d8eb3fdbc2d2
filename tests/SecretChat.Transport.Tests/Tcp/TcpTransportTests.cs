using System.Net;
using System.Net.Sockets;
using SecretChat.Framing;

namespace SecretChat.Transport.Tests.Tcp;

public class TcpTransportTests
{
    [Fact]
    public async Task ConnectAsync_ClosedPort_ThrowsTransportExceptionSayingConnectionRefused()
    {
        var port = LoopbackPorts.UnusedTcp();

        var error = await Assert.ThrowsAsync<TransportException>(
            () => TcpTransport.ConnectAsync("127.0.0.1", port).WaitAsync(Timeouts.Default));

        Assert.Equal($"nothing is listening on 127.0.0.1:{port} (connection refused)", error.Message);
    }

    [Fact]
    public async Task ConnectAsync_UnresolvableHost_ThrowsTransportExceptionNamingTheHost()
    {
        var error = await Assert.ThrowsAsync<TransportException>(
            () => TcpTransport.ConnectAsync("no-such-host.test", 3478, resolver: new NoSuchHosts()).WaitAsync(Timeouts.Default));

        Assert.Equal("could not resolve host 'no-such-host.test'", error.Message);
    }

    [Fact]
    public async Task ConnectAsync_Canceled_ThrowsOperationCanceledException()
    {
        using var canceled = new CancellationTokenSource();
        canceled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => TcpTransport.ConnectAsync("127.0.0.1", 9, cancellationToken: canceled.Token));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    public async Task ConnectAsync_PortOutOfRange_ThrowsNamingTheParameter(int port)
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => TcpTransport.ConnectAsync("127.0.0.1", port));
        Assert.Equal("port", error.ParamName);
    }

    [Fact]
    public async Task ConnectAsync_Connected_BothEndsKnowTheirPeer()
    {
        await using var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();

        await using var client = await TcpTransport.ConnectAsync(new HostPort("127.0.0.1", listener.LocalEndPoint.Port)).WaitAsync(Timeouts.Default);
        await using var server = await accepting.WaitAsync(Timeouts.Default);

        Assert.Equal(listener.LocalEndPoint, client.RemoteEndPoint);
        Assert.Equal(IPAddress.Loopback, Assert.IsType<IPEndPoint>(server.RemoteEndPoint).Address);
    }

    [Fact]
    public async Task Frames_PeerClosesMidFrame_FailsWithConnectionClosedException()
    {
        await using var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        using var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint);
        await using var server = await accepting.WaitAsync(Timeouts.Default);
        var received = server.ReceiveAllAsync();

        await peer.SendAsync(new byte[] { 0, 0, 0, 1, 42, 0, 0, 0, 9, 1, 2, 3 });
        peer.Shutdown(SocketShutdown.Send);

        var error = await Assert.ThrowsAsync<ConnectionClosedException>(() => received.WaitAsync(Timeouts.Default));
        Assert.Equal("the peer closed the connection in the middle of a frame", error.Message);
    }

    [Fact]
    public async Task Frames_PeerAnnouncesOversizeFrame_FailsFromTheHeaderAlone()
    {
        await using var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        using var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint);
        await using var server = await accepting.WaitAsync(Timeouts.Default);
        var received = server.ReceiveAllAsync();

        // Garbage that reads as a 4 GiB length; nothing else follows, and the socket stays open.
        await peer.SendAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF });

        var error = await Assert.ThrowsAsync<FrameTooLargeException>(() => received.WaitAsync(Timeouts.Default));
        Assert.Equal("the peer announced a frame of 4294967295 bytes; the limit is 65536", error.Message);
    }

    [Fact]
    public async Task Frames_PeerResets_FailsWithConnectionResetException()
    {
        await using var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint);
        await using var server = await accepting.WaitAsync(Timeouts.Default);
        var received = server.ReceiveAllAsync();

        await peer.SendAsync(new byte[] { 0, 0, 0, 1, 42 });
        RawPeer.Reset(peer);

        var error = await Assert.ThrowsAsync<ConnectionResetException>(() => received.WaitAsync(Timeouts.Default));
        Assert.Equal("the peer reset the connection", error.Message);
    }

    [Fact]
    public async Task SendAsync_PeerReset_EventuallyThrowsIOException()
    {
        await using var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        var peer = await RawPeer.ConnectAsync(listener.LocalEndPoint);
        await using var server = await accepting.WaitAsync(Timeouts.Default);

        RawPeer.Reset(peer);

        // The first sends may still be accepted by the kernel before it has heard of the reset.
        var sending = Task.Run(async () =>
        {
            while (true)
                await server.SendAsync(new byte[1000]);
        });
        var error = await Assert.ThrowsAnyAsync<IOException>(() => sending.WaitAsync(Timeouts.Default));
        Assert.True(error is ConnectionResetException or ConnectionClosedException, error.ToString());
    }

    /// <summary>Every name is unknown, as the system's resolver says it, without asking the network.</summary>
    private sealed class NoSuchHosts : IHostResolver
    {
        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken = default) =>
            Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
    }
}
