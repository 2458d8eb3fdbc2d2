using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Pipelines.Sockets.Unofficial;
using SecretChat.Benchmarks.Infrastructure;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.Benchmarks;

/// <summary>
/// Messages over one loopback TCP connection, sender and receiver both in this process. One operation is one
/// message (OperationsPerInvoke): an invocation sends <see cref="Messages"/> messages one after another, each
/// awaited, and ends when the receiver has them all, so Op/s is messages per second and MB/s payload throughput.
/// SecretChat: the full stream pipeline, <see cref="FramedSecureChannel"/> over <see cref="TcpTransport"/> (framing,
/// sealing, transport; no chat envelopes or acks), per mode. Ceiling: a raw Pipelines socket sending the same
/// length-prefixed frames. Baseline: <see cref="SslStream"/> TLS 1.3 (AES-256-GCM or AES-128-GCM as negotiated)
/// sending the same frames.
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class TcpThroughputBenchmarks
{
    public const int Messages = 256;
    private const int HeaderSize = 4;

    private readonly Delivery _delivery = new();
    private byte[] _message = [];
    private byte[] _frame = [];
    private Loopback? _loopback;
    private Tls? _tls;
    private PeerSecurity? _peers;
    private SocketConnection? _rawClient;
    private SocketConnection? _rawServer;
    private SslStream? _tlsClient;
    private SslStream? _tlsServer;
    private SecureChannelPair? _pair;
    private Task _receiving = Task.CompletedTask;

    /// <summary>1 KiB, and the largest message a channel carries (65,519 bytes: a 65,535-byte sealed message, protocol 2).</summary>
    [Params(1024, TransportLimits.MaxMessageSize)]
    public int MessageSize { get; set; }

    [GlobalSetup(Target = nameof(RawSocket))]
    public void SetupRaw()
    {
        Prepare();
        var (client, server) = _loopback!.ConnectAsync().GetAwaiter().GetResult();
        _rawClient = SocketConnection.Create(client);
        _rawServer = SocketConnection.Create(server);
        _receiving = ReceiveRawAsync(_rawServer.Input);
    }

    [GlobalSetup(Target = nameof(SslStreamTls13))]
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

    [GlobalCleanup]
    public void Cleanup()
    {
        _pair?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _rawClient?.Dispose();
        _rawServer?.Dispose();
        _tlsClient?.Dispose();
        _tlsServer?.Dispose();
        _ = _receiving.Wait(TimeSpan.FromSeconds(5));
        _tls?.Dispose();
        _peers?.Dispose();
        _loopback?.Dispose();
        (_pair, _rawClient, _rawServer, _tlsClient, _tlsServer, _tls, _peers, _loopback) = (null, null, null, null, null, null, null, null);
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public async Task RawSocket()
    {
        var delivered = _delivery.Expect((long)Messages * _frame.Length);
        var output = _rawClient!.Output;
        for (var i = 0; i < Messages; i++)
        {
            output.Write(_frame);
            await output.FlushAsync();
        }
        await delivered;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public async Task SslStreamTls13()
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

    [Benchmark(OperationsPerInvoke = Messages)]
    public Task Noise() => SendThroughPipelineAsync();

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

    private void SetupSecretChat(SecurityModuleInfo mode)
    {
        Prepare();
        _peers = new PeerSecurity();
        var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var accepting = listener.AcceptAsync();
        var initiator = TcpTransport.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port).GetAwaiter().GetResult();
        var responder = accepting.AsTask().GetAwaiter().GetResult();
        listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _pair = SecureChannelPair.EstablishAsync(initiator, responder, _peers.For(mode), message => _delivery.Add(message.Length))
            .GetAwaiter().GetResult();
    }

    private async Task ReceiveRawAsync(System.IO.Pipelines.PipeReader input)
    {
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                _delivery.Add(result.Buffer.Length);
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                    return;
            }
        }
        catch (Exception error)
        {
            _delivery.Fail(error);
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
