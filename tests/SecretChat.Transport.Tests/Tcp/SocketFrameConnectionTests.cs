using System.Net;
using System.Net.Sockets;
using SecretChat.Framing;

namespace SecretChat.Transport.Tests;

/// <summary>The kit's socket connection over sockets a transport author made: a Unix domain socket here.</summary>
public class SocketFrameConnectionTests
{
    [Fact]
    public async Task Create_OverUnixDomainSockets_CarriesFramesHalfClosesAndSaysOther()
    {
        var path = Path.Combine(Path.GetTempPath(), $"secretchat-test-{Guid.NewGuid():N}.sock");
        using var listening = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listening.Bind(new UnixDomainSocketEndPoint(path));
        listening.Listen(1);
        try
        {
            var accepting = listening.AcceptAsync();
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).WaitAsync(Timeouts.Default);
            await using var client = SocketFrameConnection.Create(socket);
            await using var server = SocketFrameConnection.Create(await accepting.WaitAsync(Timeouts.Default));
            var atServer = server.ReceiveAllAsync();
            var atClient = client.ReceiveAllAsync();

            await client.SendAsync(FrameRecording.Payload(50)).AsTask().WaitAsync(Timeouts.Default);
            await client.CompleteAsync().AsTask().WaitAsync(Timeouts.Default);
            Assert.Equal(FrameRecording.Payload(50), Assert.Single(await atServer.WaitAsync(Timeouts.Default)));
            await server.SendAsync(FrameRecording.Payload(7)).AsTask().WaitAsync(Timeouts.Default);
            await server.CompleteAsync().AsTask().WaitAsync(Timeouts.Default);

            Assert.Equal(FrameRecording.Payload(7), Assert.Single(await atClient.WaitAsync(Timeouts.Default)));
            Assert.Equal(SecretChat.Transport.TransportKind.Other, client.Transport);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task TcpFrameListener_AsIFrameListener_HandsOutTcpConnections()
    {
        await using IFrameListener listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync().AsTask();
        await using var client = await TcpTransport.ConnectAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndPoint).Port).WaitAsync(Timeouts.Default);
        await using var server = await accepting.WaitAsync(Timeouts.Default);

        Assert.Equal(SecretChat.Transport.TransportKind.Tcp, ((IDescribedConnection)client).Transport);
        Assert.Equal(SecretChat.Transport.TransportKind.Tcp, ((IDescribedConnection)server).Transport);
    }

    [Fact]
    public void InMemoryPair_EachEnd_SaysInMemory()
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();

        Assert.Equal(SecretChat.Transport.TransportKind.InMemory, ((IDescribedConnection)left).Transport);
        Assert.Equal(SecretChat.Transport.TransportKind.InMemory, ((IDescribedConnection)right).Transport);
    }
}
