using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SecretChat.Framing;

namespace SecretChat.Transport.Tests;

/// <summary>
/// A transport author's first try: <see cref="PipeFrameConnection"/> over <c>PipeReader.Create</c> and
/// <c>PipeWriter.Create</c> of a real loopback <see cref="NetworkStream"/> (issue 23's stream-pipe bug).
/// </summary>
public class StreamPipeFrameConnectionTests
{
    [Fact]
    public async Task DisposeAsync_AfterCompleteOverNetworkStreamPipes_DoesNotThrow()
    {
        await using var sockets = await SocketPair.CreateAsync();
        var client = OverStreamPipes(sockets.Client);
        var server = OverStreamPipes(sockets.Server);
        var serverFrames = server.ReceiveAllAsync();

        await client.SendAsync(FrameRecording.Payload(10)).AsTask().WaitAsync(Timeouts.Default);
        await client.CompleteAsync().AsTask().WaitAsync(Timeouts.Default);
        await serverFrames.WaitAsync(Timeouts.Default);

        await client.DisposeAsync().AsTask().WaitAsync(Timeouts.Default);
        await server.DisposeAsync().AsTask().WaitAsync(Timeouts.Default);
    }

    [Fact]
    public async Task CompleteAsync_OverNetworkStream_PeerSeesEndOfStreamAndCanStillAnswer()
    {
        await using var sockets = await SocketPair.CreateAsync();
        await using var client = PipeFrameConnection.Create(new NetworkStream(sockets.Client, ownsSocket: true));
        await using var server = PipeFrameConnection.Create(new NetworkStream(sockets.Server, ownsSocket: true));
        var serverFrames = server.ReceiveAllAsync();
        var clientFrames = client.ReceiveAllAsync();
        var question = FrameRecording.Payload(10, seed: 1);
        var answer = FrameRecording.Payload(20, seed: 2);

        await client.SendAsync(question).AsTask().WaitAsync(Timeouts.Default);
        await client.CompleteAsync().AsTask().WaitAsync(Timeouts.Default);

        // A half-close: the server's frames end after the question, and the server can still answer.
        Assert.Equal(question, Assert.Single(await serverFrames.WaitAsync(Timeouts.Default)));
        await server.SendAsync(answer).AsTask().WaitAsync(Timeouts.Default);
        await server.CompleteAsync().AsTask().WaitAsync(Timeouts.Default);
        Assert.Equal(answer, Assert.Single(await clientFrames.WaitAsync(Timeouts.Default)));
    }

    [Fact]
    public async Task CompleteAsync_OverNetworkStreamPipes_PeerSeesEndOfStream()
    {
        await using var sockets = await SocketPair.CreateAsync();
        await using var client = OverStreamPipes(sockets.Client);
        await using var server = OverStreamPipes(sockets.Server);
        var serverFrames = server.ReceiveAllAsync();
        var payload = FrameRecording.Payload(100);

        await client.SendAsync(payload).AsTask().WaitAsync(Timeouts.Default);
        await client.CompleteAsync().AsTask().WaitAsync(Timeouts.Default);

        Assert.Equal(payload, Assert.Single(await serverFrames.WaitAsync(Timeouts.Default)));
    }

    [Fact]
    public async Task Create_OverNetworkStream_ReportsWhatTheCreatorSays()
    {
        await using var sockets = await SocketPair.CreateAsync();
        await using var connection = PipeFrameConnection.Create(new NetworkStream(sockets.Client, ownsSocket: true), transport: SecretChat.Transport.TransportKind.Tcp);

        Assert.Equal(SecretChat.Transport.TransportKind.Tcp, connection.Transport);
    }

    [Fact]
    public async Task DisposeAsync_OverNetworkStreamPipesWithoutComplete_PeerSeesEndOfStream()
    {
        await using var sockets = await SocketPair.CreateAsync();
        var client = OverStreamPipes(sockets.Client);
        await using var server = OverStreamPipes(sockets.Server);
        var serverFrames = server.ReceiveAllAsync();
        var payload = FrameRecording.Payload(100);

        await client.SendAsync(payload).AsTask().WaitAsync(Timeouts.Default);
        await client.DisposeAsync().AsTask().WaitAsync(Timeouts.Default);

        Assert.Equal(payload, Assert.Single(await serverFrames.WaitAsync(Timeouts.Default)));
    }

    private static PipeFrameConnection OverStreamPipes(Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        return new PipeFrameConnection(new StreamPipe(PipeReader.Create(stream), PipeWriter.Create(stream)), remoteEndPoint: socket.RemoteEndPoint);
    }

    private sealed record StreamPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    private sealed class SocketPair : IAsyncDisposable
    {
        private SocketPair(Socket client, Socket server)
        {
            Client = client;
            Server = server;
        }

        public Socket Client { get; }

        public Socket Server { get; }

        public static async Task<SocketPair> CreateAsync()
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var accepting = listener.AcceptAsync();
            await client.ConnectAsync(listener.LocalEndPoint!).WaitAsync(Timeouts.Default);
            return new SocketPair(client, await accepting.WaitAsync(Timeouts.Default));
        }

        public ValueTask DisposeAsync()
        {
            Client.Dispose();
            Server.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
