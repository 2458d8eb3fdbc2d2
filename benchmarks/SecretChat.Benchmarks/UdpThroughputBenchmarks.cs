using SecretChat.Security;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using LiteNetLib;
using System.Reactive.Concurrency;
using SecretChat.Chat.Composition;
using SecretChat.Benchmarks.Infrastructure;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Transport.Reliability;
using SecretChat.Transport.Udp;

namespace SecretChat.Benchmarks;

/// <summary>
/// Messages over loopback UDP, sender and receiver both in this process; one operation is one message
/// (OperationsPerInvoke), an invocation ends when the receiver has all <see cref="Messages"/> of them.
/// Datagrams carry at most <see cref="DatagramSize"/> bytes (the SecretChat UDP session's limit), so a larger
/// message is cut into several. SecretChat's session (sealed and reliable) against the baseline, LiteNetLib's
/// reliable-ordered channel (reliable, not encrypted) at the same datagram size (<c>MtuOverride</c> = 1200, so a 1 KiB
/// message is one datagram for both; LiteNetLib's default MTU of 1024 cut it in two). Ceiling: raw datagrams with no
/// reliability, a blocking <c>Socket.SendTo</c> loop against a receiver thread that just drains in a blocking
/// <c>ReceiveFrom</c>; the sender paces by the receiver's count (at most <see cref="RawWindow"/> datagrams in flight,
/// counted with Interlocked, no per-datagram hand-off) so the 4 MiB receive buffer never overflows (a lost datagram
/// would stall the round).
/// </summary>
/// <remarks>
/// To add a transport: one <c>[GlobalSetup(Target = ...)]</c> that connects a pair and reports arrivals to
/// <see cref="_delivery"/>, and one benchmark method that sends <see cref="Messages"/> messages of
/// <see cref="MessageSize"/> bytes and awaits <see cref="Delivery.Expect"/>.
/// </remarks>
[Config(typeof(BenchmarkConfig))]
public class UdpThroughputBenchmarks
{
    public const int Messages = 64;
    public const int DatagramSize = 1200;
    public const int RawWindow = 256;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Delivery _delivery = new();
    private byte[] _message = [];

    // LiteNetLib
    private NetManager? _liteServer;
    private NetManager? _liteClient;
    private NetPeer? _liteToServer;

    // Raw datagrams
    private Socket? _rawSender;
    private Socket? _rawReceiver;
    private SocketAddress? _rawReceiverAddress;
    private long _rawSent;
    private long _rawReceived;
    private Thread? _rawReceiving;

    // SecretChat's UDP session
    private List<IDisposable> _scWiring = [];
    private UdpDatagramSocket[] _scSockets = [];
    private StaticKeyPair[] _scKeys = [];
    private ReliableDatagramChannel? _scSender;
    private ReliableDatagramChannel? _scReceiver;

    /// <summary>Shared by every transport in this class, so ratios compare like with like.</summary>
    [Params(1024, TransportLimits.MaxMessageSize)]
    public int MessageSize { get; set; }

    [GlobalSetup(Target = nameof(LiteNetLibReliableOrdered))]
    public void SetupLiteNetLib()
    {
        Prepare();
        var serverEvents = new EventBasedNetListener();
        serverEvents.ConnectionRequestEvent += request => request.Accept();
        serverEvents.NetworkReceiveEvent += (_, reader, _, _) =>
        {
            _delivery.Add(reader.AvailableBytes);
            reader.Recycle();
        };
        _liteServer = CreateLiteManager(serverEvents);
        _liteServer.Start(IPAddress.Loopback, IPAddress.IPv6Loopback, 0);

        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clientEvents = new EventBasedNetListener();
        clientEvents.PeerConnectedEvent += _ => connected.TrySetResult();
        _liteClient = CreateLiteManager(clientEvents);
        _liteClient.Start(IPAddress.Loopback, IPAddress.IPv6Loopback, 0);
        _liteToServer = _liteClient.Connect(new IPEndPoint(IPAddress.Loopback, _liteServer.LocalPort), "bench");
        connected.Task.WaitAsync(Patience).GetAwaiter().GetResult();
        if (_liteToServer.Mtu != DatagramSize)
            throw new InvalidOperationException($"LiteNetLib runs at MTU {_liteToServer.Mtu}, not {DatagramSize}: the comparison would be unequal.");
    }

    [GlobalSetup(Target = nameof(RawUdp))]
    public void SetupRaw()
    {
        Prepare();
        _rawReceiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
        _rawReceiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _rawSender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = 4 << 20 };
        _rawSender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _rawReceiverAddress = _rawReceiver.LocalEndPoint!.Serialize();
        (_rawSent, _rawReceived) = (0, 0);
        var receiver = _rawReceiver;
        _rawReceiving = new Thread(() => ReceiveRaw(receiver)) { IsBackground = true, Name = "raw UDP receiver" };
        _rawReceiving.Start();
    }

    /// <summary>
    /// Two SecretChat UDP sessions on loopback, as <c>listen --udp</c> / <c>connect --udp</c> build them: a noise
    /// handshake, then every datagram sealed (ChaCha20-Poly1305, explicit counter, replay window) and the
    /// reliability engine inside (acks, retransmission, fragmentation, in-order delivery).
    /// </summary>
    [GlobalSetup(Target = nameof(SecretChatReliableUdp))]
    public void SetupSecretChat()
    {
        Prepare();
        _scSockets = [UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0)), UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0))];
        var (senderSocket, receiverSocket) = (_scSockets[0], _scSockets[1]);
        _scKeys = [StaticKeyPair.Generate(), StaticKeyPair.Generate()];
        var receiving = SecureDatagramChannel.Accept(new NoiseSecurity(_scKeys[1]), receiverSocket.SendAsync);
        var sending = SecureDatagramChannel.Connect(new NoiseSecurity(_scKeys[0]), receiverSocket.LocalEndPoint, senderSocket.SendAsync);
        _scWiring =
        [
            receiverSocket.Datagrams.Subscribe(d => receiving.Receive(d.RemoteEndPoint, d.Payload.Span)),
            senderSocket.Datagrams.Subscribe(d => sending.Receive(d.RemoteEndPoint, d.Payload.Span)),
        ];
        _scReceiver = new ReliableDatagramChannel(receiving, new ReliabilityOptions(), DefaultScheduler.Instance);
        _scSender = new ReliableDatagramChannel(sending, new ReliabilityOptions(), DefaultScheduler.Instance);
        _scWiring.Add(_scReceiver.Messages.Subscribe(m => _delivery.Add(m.Length), _delivery.Fail));
        _scWiring.Add(_scSender.Messages.Subscribe(_ => { }));
        Task.WhenAll(_scSender.Established, _scReceiver.Established).WaitAsync(Patience).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var wiring in _scWiring)
            wiring.Dispose();
        _scSender?.DisposeAsync().AsTask().Wait(Patience);
        _scReceiver?.DisposeAsync().AsTask().Wait(Patience);
        foreach (var socket in _scSockets)
            socket.Dispose();
        foreach (var key in _scKeys)
            key.Dispose();
        (_scWiring, _scSockets, _scKeys, _scSender, _scReceiver) = ([], [], [], null, null);
        _liteClient?.Stop();
        _liteServer?.Stop();
        _rawSender?.Dispose();
        _rawReceiver?.Dispose();
        _ = _rawReceiving?.Join(TimeSpan.FromSeconds(5));
        (_liteClient, _liteServer, _liteToServer, _rawSender, _rawReceiver, _rawReceiving) = (null, null, null, null, null, null);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public Task LiteNetLibReliableOrdered()
    {
        var delivered = _delivery.Expect((long)Messages * MessageSize);
        for (var i = 0; i < Messages; i++)
            _liteToServer!.Send(_message, DeliveryMethod.ReliableOrdered);
        _liteClient!.TriggerUpdate();
        return delivered;
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public async Task SecretChatReliableUdp()
    {
        var delivered = _delivery.Expect((long)Messages * MessageSize);
        for (var i = 0; i < Messages; i++)
            await _scSender!.SendAsync(_message);
        await delivered;
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public Task RawUdp()
    {
        var delivered = _delivery.Expect((long)Messages * MessageSize);
        for (var i = 0; i < Messages; i++)
        {
            for (var offset = 0; offset < _message.Length; offset += DatagramSize)
            {
                if (_rawSent - Volatile.Read(ref _rawReceived) >= RawWindow)
                    AwaitRoom();
                _rawSent++;
                _rawSender!.SendTo(_message.AsSpan(offset, Math.Min(DatagramSize, _message.Length - offset)), SocketFlags.None, _rawReceiverAddress!);
            }
        }
        return delivered;
    }

    private void Prepare()
    {
        _message = new byte[MessageSize];
        Random.Shared.NextBytes(_message);
    }

    private static NetManager CreateLiteManager(EventBasedNetListener events) => new(events)
    {
        // Events straight from LiteNetLib's threads (no PollEvents loop), and a 1 ms logic tick instead of 15 ms,
        // so its acknowledgements and resends are not held back by the defaults meant for games. MTU 1200, as
        // SecretChat's datagrams: LiteNetLib's default (1024, and its discovery starts there) cuts a 1 KiB message
        // into two fragments; a user sending 1 KiB messages on a path known to carry 1200 bytes sets this.
        UnsyncedEvents = true,
        UpdateTime = 1,
        DisconnectTimeout = 30_000,
        MtuOverride = DatagramSize,
    };

    /// <summary>Spins, then yields, until the receiver has drained below the window (it never blocks on a handle).</summary>
    private void AwaitRoom()
    {
        var spin = new SpinWait();
        var started = Environment.TickCount64;
        while (_rawSent - Volatile.Read(ref _rawReceived) >= RawWindow)
        {
            spin.SpinOnce();
            if (Environment.TickCount64 - started > Patience.TotalMilliseconds)
                throw new TimeoutException("A raw datagram was lost on loopback; the round cannot complete.");
        }
    }

    private void ReceiveRaw(Socket socket)
    {
        var buffer = new byte[DatagramSize];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        try
        {
            while (true)
            {
                var received = socket.ReceiveFrom(buffer, SocketFlags.None, from);
                Interlocked.Increment(ref _rawReceived);
                _delivery.Add(received);
            }
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException)
        {
            // Cleanup closed the socket.
        }
    }
}
