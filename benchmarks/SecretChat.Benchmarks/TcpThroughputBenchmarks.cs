using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using SecretChat.Benchmarks.Infrastructure;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.Benchmarks;

/// <summary>
/// Messages over one loopback TCP connection, sender and receiver both in this process. One operation is one
/// message (OperationsPerInvoke): an invocation sends <see cref="Messages"/> messages one after another, each
/// awaited, and ends when the receiver has them all, so Op/s is messages per second and MB/s payload throughput.
/// SecretChat: the full stream pipeline, <see cref="FramedSecureChannel"/> over <see cref="TcpTransport"/> (framing,
/// sealing, transport; no chat envelopes or acks), per mode. SecretChat's send completes once its frame is queued and
/// one send loop drains the queue into the socket, many frames per call.
/// <list type="bullet">
/// <item>Baseline, <see cref="Tls13Queued"/>: <see cref="SslStream"/> TLS 1.3 (AES-256-GCM or AES-128-GCM as
/// negotiated) sending the same length-prefixed frames through the same kind of queue (<see cref="QueuedTlsSender"/>),
/// so both sides batch alike.</item>
/// <item><see cref="Tls13PerMessage"/>: the same TLS stream with one awaited <c>WriteAsync</c> per message (one record and
/// one send call each), as a simple program writes; kept to show what the queue is worth.</item>
/// <item>Ceiling, <see cref="SocketCeiling"/>: the fastest way the platform moves these bytes between two sockets:
/// frames copied into a 256 KiB buffer, one blocking <c>Socket.Send</c> per full buffer, a receiver thread in a
/// blocking <c>Socket.Receive</c> into 1 MiB, 4 MiB socket buffers on both ends (the machine's <c>wmem_max</c>).</item>
/// </list>
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class TcpThroughputBenchmarks
{
    public const int Messages = 256;
    private const int HeaderSize = 4;
    private const int CeilingBatch = 256 * 1024;
    private const int CeilingSocketBuffer = 4 * 1024 * 1024;

    private readonly Delivery _delivery = new();
    private byte[] _message = [];
    private byte[] _frame = [];
    private Loopback? _loopback;
    private Tls? _tls;
    private PeerSecurity? _peers;
    private Socket? _rawClient;
    private Socket? _rawServer;
    private byte[] _rawBatch = [];
    private Thread? _rawReceiver;
    private QueuedTlsSender? _tlsQueue;
    private SslStream? _tlsClient;
    private SslStream? _tlsServer;
    private SecureChannelPair? _pair;
    private Task _receiving = Task.CompletedTask;

    /// <summary>1 KiB, and the largest message a channel carries (65,519 bytes: a 65,535-byte sealed message, protocol 2).</summary>
    [Params(1024, TransportLimits.MaxMessageSize)]
    public int MessageSize { get; set; }

    [GlobalSetup(Target = nameof(SocketCeiling))]
    public void SetupCeiling()
    {
        Prepare();
        (_rawClient, _rawServer) = _loopback!.ConnectAsync().GetAwaiter().GetResult();
        foreach (var socket in new[] { _rawClient, _rawServer })
            (socket.SendBufferSize, socket.ReceiveBufferSize) = (CeilingSocketBuffer, CeilingSocketBuffer);
        _rawBatch = new byte[CeilingBatch];
        var server = _rawServer;
        _rawReceiver = new Thread(() => ReceiveBlocking(server)) { IsBackground = true, Name = "ceiling receiver" };
        _rawReceiver.Start();
    }

    [GlobalSetup(Target = nameof(Tls13Queued))]
    public void SetupTlsQueued()
    {
        SetupTls();
        _tlsQueue = new QueuedTlsSender(_tlsClient!);
    }

    [GlobalSetup(Target = nameof(Tls13PerMessage))]
    public void SetupTls()
    {
        Prepare();
        _tls = new Tls();
        var (client, server) = _loopback!.ConnectAsync().GetAwaiter().GetResult();
        (_tlsClient, _tlsServer) = _tls.HandshakeAsync(new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true))
            .GetAwaiter().GetResult();
        _receiving = ReceiveStreamAsync(_tlsServer);
    }

    [GlobalSetup(Target = nameof(Pseudo))]
    public void SetupPseudo() => SetupSecretChat(BuiltInModules.Pseudo);

    [GlobalSetup(Target = nameof(Rsa))]
    public void SetupRsa() => SetupSecretChat(BuiltInModules.Rsa);

    [GlobalSetup(Target = nameof(Noise))]
    public void SetupNoise() => SetupSecretChat(BuiltInModules.Noise);

    [GlobalSetup(Target = nameof(NoiseChaChaPoly))]
    public void SetupNoiseChaChaPoly() => SetupSecretChat(BuiltInModules.Noise, chaChaPoly: true);

    [GlobalCleanup]
    public void Cleanup()
    {
        _pair?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _tlsQueue?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _rawClient?.Dispose();
        _rawServer?.Dispose();
        _ = _rawReceiver?.Join(TimeSpan.FromSeconds(5));
        _tlsClient?.Dispose();
        _tlsServer?.Dispose();
        _ = _receiving.Wait(TimeSpan.FromSeconds(5));
        _tls?.Dispose();
        _peers?.Dispose();
        _loopback?.Dispose();
        (_pair, _rawClient, _rawServer, _rawReceiver, _tlsQueue, _tlsClient, _tlsServer, _tls, _peers, _loopback) = (null, null, null, null, null, null, null, null, null, null);
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public Task SocketCeiling()
    {
        var delivered = _delivery.Expect((long)Messages * _frame.Length);
        var filled = 0;
        for (var i = 0; i < Messages; i++)
        {
            if (filled + _frame.Length > _rawBatch.Length)
            {
                SendAll(_rawClient!, _rawBatch.AsSpan(0, filled));
                filled = 0;
            }
            _frame.CopyTo(_rawBatch, filled);
            filled += _frame.Length;
        }
        SendAll(_rawClient!, _rawBatch.AsSpan(0, filled));
        return delivered;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public async Task Tls13Queued()
    {
        var delivered = _delivery.Expect((long)Messages * _frame.Length);
        for (var i = 0; i < Messages; i++)
            await _tlsQueue!.SendAsync(_message);
        await delivered;
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public async Task Tls13PerMessage()
    {
        var delivered = _delivery.Expect((long)Messages * _frame.Length);
        for (var i = 0; i < Messages; i++)
            await _tlsClient!.WriteAsync(_frame);
        await delivered;
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public Task Pseudo() => SendThroughPipelineAsync();

    [Benchmark(OperationsPerInvoke = Messages)]
    public Task Rsa() => SendThroughPipelineAsync();

    /// <summary>noise as negotiated: Noise_XX_25519_AESGCM_SHA256 where both sides accelerate AES (this machine), ChaChaPoly otherwise.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public Task Noise() => SendThroughPipelineAsync();

    /// <summary>noise with ChaChaPoly on both sides, what a peer without AES instructions gets: the other suite's cost.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public Task NoiseChaChaPoly() => SendThroughPipelineAsync();

    private async Task SendThroughPipelineAsync()
    {
        var delivered = _delivery.Expect((long)Messages * _message.Length);
        var channel = _pair!.Initiator;
        for (var i = 0; i < Messages; i++)
            await channel.SendAsync(_message);
        await delivered;
    }

    private void Prepare()
    {
        _message = new byte[MessageSize];
        Random.Shared.NextBytes(_message);
        _frame = new byte[HeaderSize + MessageSize];
        BinaryPrimitives.WriteUInt32BigEndian(_frame, (uint)MessageSize);
        _message.CopyTo(_frame, HeaderSize);
        _loopback = new Loopback();
    }

    private void SetupSecretChat(SecurityModuleInfo mode, bool chaChaPoly = false)
    {
        Prepare();
        _peers = new PeerSecurity();
        var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync();
        var initiator = TcpTransport.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port).GetAwaiter().GetResult();
        var responder = accepting.AsTask().GetAwaiter().GetResult();
        listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _pair = SecureChannelPair.EstablishAsync(initiator, responder, chaChaPoly ? _peers.NoiseChaChaPoly() : _peers.For(mode), message => _delivery.Add(message.Length))
            .GetAwaiter().GetResult();
    }

    private static void SendAll(Socket socket, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
            bytes = bytes[socket.Send(bytes)..];
    }

    private void ReceiveBlocking(Socket socket)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(1024 * 1024);
        try
        {
            int read;
            while ((read = socket.Receive(buffer)) > 0)
                _delivery.Add(read);
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            // Cleanup closed the socket.
        }
    }

    private async Task ReceiveStreamAsync(Stream stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
                _delivery.Add(read);
        }
        catch (Exception error)
        {
            _delivery.Fail(error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
