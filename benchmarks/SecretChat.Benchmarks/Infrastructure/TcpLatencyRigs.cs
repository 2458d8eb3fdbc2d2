using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>SecretChat over loopback TCP: <see cref="FramedSecureChannel"/> over <see cref="TcpTransport"/>, per mode.</summary>
public sealed class SecretChatTcpLatencyRig : LatencyRig
{
    private readonly PeerSecurity _peers;
    private readonly SecureChannelPair _pair;

    private SecretChatTcpLatencyRig(string name, PeerSecurity peers, SecureChannelPair pair, Action<SecretChatTcpLatencyRig> wire)
        : base(name, acknowledged: false)
    {
        (_peers, _pair) = (peers, pair);
        wire(this);
    }

    public static async Task<LatencyRig> CreateAsync(string name, SecurityModuleInfo mode)
    {
        var peers = new PeerSecurity();
        var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync();
        var initiator = await TcpTransport.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port).ConfigureAwait(false);
        var responder = await accepting.ConfigureAwait(false);
        await listener.DisposeAsync().ConfigureAwait(false);
        SecretChatTcpLatencyRig? rig = null;
        var pair = await SecureChannelPair.EstablishAsync(initiator, responder, peers.For(mode), message => rig?.Received(message.Length))
            .ConfigureAwait(false);
        return new SecretChatTcpLatencyRig(name, peers, pair, r => rig = r);
    }

    protected override ValueTask SendAsync(ReadOnlyMemory<byte> message) => _pair.Initiator.SendAsync(message);

    protected override async ValueTask DisposeCoreAsync()
    {
        await _pair.DisposeAsync().ConfigureAwait(false);
        _peers.Dispose();
    }
}

/// <summary>
/// The TLS 1.3 baseline over loopback TCP: the same length-prefixed frames through the same kind of send queue as
/// SecretChat's (<see cref="QueuedTlsSender"/>: a probe must be able to go while a bulk transfer holds the stream, and
/// <see cref="SslStream"/> allows one write at a time), read by a pipe over the stream that parses frames.
/// </summary>
public sealed class TlsLatencyRig : LatencyRig
{
    private const int HeaderSize = 4;

    private readonly Loopback _loopback;
    private readonly Tls _tls;
    private readonly SslStream _client;
    private readonly SslStream _server;
    private readonly QueuedTlsSender _sender;
    private readonly Task _receiving;

    private TlsLatencyRig(Loopback loopback, Tls tls, SslStream client, SslStream server) : base("Tls13", acknowledged: false)
    {
        (_loopback, _tls, _client, _server) = (loopback, tls, client, server);
        _sender = new QueuedTlsSender(client);
        _receiving = ReceiveAsync(PipeReader.Create(server, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true)));
    }

    public static async Task<LatencyRig> CreateAsync()
    {
        var loopback = new Loopback();
        var tls = new Tls();
        var (client, server) = await loopback.ConnectAsync().ConfigureAwait(false);
        var (clientTls, serverTls) = await tls.HandshakeAsync(new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true))
            .ConfigureAwait(false);
        return new TlsLatencyRig(loopback, tls, clientTls, serverTls);
    }

    protected override ValueTask SendAsync(ReadOnlyMemory<byte> message) => _sender.SendAsync(message);

    protected override async ValueTask DisposeCoreAsync()
    {
        await _sender.DisposeAsync().ConfigureAwait(false);
        await _client.DisposeAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _receiving.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The reader is stuck in a read on a disposed stream; nothing waits on it.
        }
        _tls.Dispose();
        _loopback.Dispose();
    }

    private async Task ReceiveAsync(PipeReader input)
    {
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                while (TryTakeFrame(ref buffer, out var length))
                    Received(length);
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                    return;
            }
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException or SocketException)
        {
            Failed(error);
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, out int length)
    {
        length = 0;
        if (buffer.Length < HeaderSize)
            return false;
        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        length = (int)BinaryPrimitives.ReadUInt32BigEndian(header);
        if (buffer.Length < HeaderSize + length)
            return false;
        buffer = buffer.Slice(HeaderSize + length);
        return true;
    }
}
