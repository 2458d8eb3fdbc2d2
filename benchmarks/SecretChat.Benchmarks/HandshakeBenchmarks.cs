using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using SecretChat.Benchmarks.Infrastructure;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.Benchmarks;

/// <summary>
/// One whole connection set-up per operation, both sides in this process: hello exchange and handshake of a
/// mode through the real pipeline (<see cref="SecretChat.Security.FramedSecureChannel"/>), until both sides
/// hold a session, then teardown. Over TCP the loopback connect and accept are included, for TLS too.
/// Baseline: a full TLS 1.3 handshake with <see cref="System.Net.Security.SslStream"/> (ECDSA P-256
/// certificate, pinned by the client, resumption off) over the same kind of transport.
/// NoiseHybrid rows: noise with the post-quantum hybrid (Noise_XXhfs_25519+MLKEM768, the chat's default), beside the
/// classic Noise XX rows. Bytes on the wire per handshake, hellos included (TCP frames with their 4-byte prefixes, both
/// directions, the greetings of the transcript vectors): classic noise 341, hybrid 2,653 (docs/PROTOCOL.md §4.1.1).
/// </summary>
/// <remarks>
/// rsa: every handshake consumes a fresh RSA-2048 key pair. The pool makes them ahead of time, but back to
/// back it cannot keep up, so this figure includes key generation: the sustained cost per rsa session.
/// </remarks>
[Config(typeof(BenchmarkConfig))]
public class HandshakeBenchmarks
{
    private PeerSecurity _modes = null!;
    private Tls _tls = null!;
    private Loopback _loopback = null!;
    private TcpFrameListener _listener = null!;

    [GlobalSetup]
    public void Setup()
    {
        _modes = new PeerSecurity();
        _modes.WarmAsync().GetAwaiter().GetResult();
        _tls = new Tls();
        _loopback = new Loopback();
        _listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _loopback.Dispose();
        _tls.Dispose();
        _modes.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("InMemory")]
    public async Task Tls13_InMemory()
    {
        var (left, right) = Loopback.CreateStreamPair();
        var (client, server) = await _tls.HandshakeAsync(left, right);
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Benchmark, BenchmarkCategory("InMemory")]
    public Task Noise_InMemory() => InMemoryAsync(BuiltInModules.Noise);

    [Benchmark, BenchmarkCategory("InMemory")]
    public async Task NoiseHybrid_InMemory()
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        await using var pair = await SecureChannelPair.EstablishAsync(left, right, _modes.Hybrid());
    }

    [Benchmark, BenchmarkCategory("InMemory")]
    public Task Rsa_InMemory() => InMemoryAsync(BuiltInModules.Rsa);

    [Benchmark(Baseline = true), BenchmarkCategory("Tcp")]
    public async Task Tls13_Tcp()
    {
        var (clientSocket, serverSocket) = await _loopback.ConnectAsync();
        var (client, server) = await _tls.HandshakeAsync(
            new NetworkStream(clientSocket, ownsSocket: true), new NetworkStream(serverSocket, ownsSocket: true));
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Benchmark, BenchmarkCategory("Tcp")]
    public Task Noise_Tcp() => TcpAsync(BuiltInModules.Noise);

    [Benchmark, BenchmarkCategory("Tcp")]
    public async Task NoiseHybrid_Tcp()
    {
        var accepting = _listener.AcceptAsync();
        var initiator = await TcpTransport.ConnectAsync("127.0.0.1", _listener.LocalEndPoint.Port);
        var responder = await accepting;
        await using var pair = await SecureChannelPair.EstablishAsync(initiator, responder, _modes.Hybrid());
    }

    [Benchmark, BenchmarkCategory("Tcp")]
    public Task Rsa_Tcp() => TcpAsync(BuiltInModules.Rsa);

    private async Task InMemoryAsync(SecurityModuleInfo mode)
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        await using var pair = await SecureChannelPair.EstablishAsync(left, right, _modes.For(mode));
    }

    private async Task TcpAsync(SecurityModuleInfo mode)
    {
        var accepting = _listener.AcceptAsync();
        var initiator = await TcpTransport.ConnectAsync("127.0.0.1", _listener.LocalEndPoint.Port);
        var responder = await accepting;
        await using var pair = await SecureChannelPair.EstablishAsync(initiator, responder, _modes.For(mode));
    }
}
