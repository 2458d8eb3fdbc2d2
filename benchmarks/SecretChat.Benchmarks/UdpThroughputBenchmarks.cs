using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using LiteNetLib;
using SecretChat.Benchmarks.Infrastructure;

namespace SecretChat.Benchmarks;

/// <summary>
/// Messages over loopback UDP, sender and receiver both in this process; one operation is one message
/// (OperationsPerInvoke), an invocation ends when the receiver has all <see cref="Messages"/> of them.
/// Datagrams carry at most <see cref="DatagramSize"/> bytes (the SecretChat UDP session's limit), so a larger
/// message is cut into several. Baseline: LiteNetLib's reliable-ordered channel. Ceiling: raw datagrams
/// (Socket.SendTo / ReceiveFrom) with no reliability; the sender keeps at most <see cref="RawWindow"/>
/// datagrams in flight so the socket buffer never overflows (a lost datagram would stall the round).
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
    public const int RawWindow = 32;

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
    private SemaphoreSlim? _rawCredits;
    private CancellationTokenSource? _rawStop;
    private Task _rawReceiving = Task.CompletedTask;

    /// <summary>Shared by every transport in this class, so ratios compare like with like.</summary>
    [Params(1024, 64 * 1024 - 16)]
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
    }

    [GlobalSetup(Target = nameof(RawUdp))]
    public void SetupRaw()
    {
        Prepare();
        _rawReceiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 20 };
        _rawReceiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _rawSender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _rawSender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _rawReceiverAddress = _rawReceiver.LocalEndPoint!.Serialize();
        _rawCredits = new SemaphoreSlim(RawWindow, RawWindow);
        _rawStop = new CancellationTokenSource();
        _rawReceiving = ReceiveRawAsync(_rawReceiver, _rawStop.Token);
    }

    // SECRETCHAT RELIABLE UDP GOES HERE (issue 8): a [GlobalSetup(Target = nameof(SecretChatReliableUdp))] that
    // connects two reliable datagram sessions over loopback (noise, sealed datagrams) and reports each received
    // message to _delivery, and a [Benchmark(OperationsPerInvoke = Messages)] SecretChatReliableUdp() that sends
    // Messages messages of MessageSize bytes and awaits _delivery.Expect(Messages * MessageSize). Target: at
    // least 1.5x LiteNetLibReliableOrdered's Op/s in the same run.

    [GlobalCleanup]
    public void Cleanup()
    {
        _liteClient?.Stop();
        _liteServer?.Stop();
        _rawStop?.Cancel();
        _rawSender?.Dispose();
        _rawReceiver?.Dispose();
        _ = _rawReceiving.Wait(TimeSpan.FromSeconds(5));
        _rawCredits?.Dispose();
        _rawStop?.Dispose();
        (_liteClient, _liteServer, _liteToServer, _rawSender, _rawReceiver, _rawCredits, _rawStop) = (null, null, null, null, null, null, null);
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
    public Task RawUdp()
    {
        var delivered = _delivery.Expect((long)Messages * MessageSize);
        for (var i = 0; i < Messages; i++)
        {
            for (var offset = 0; offset < _message.Length; offset += DatagramSize)
            {
                if (!_rawCredits!.Wait(Patience))
                    throw new TimeoutException("A raw datagram was lost on loopback; the round cannot complete.");
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
        // so its acknowledgements and resends are not held back by the defaults meant for games.
        UnsyncedEvents = true,
        UpdateTime = 1,
        DisconnectTimeout = 30_000,
    };

    private async Task ReceiveRawAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[DatagramSize];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        try
        {
            while (true)
            {
                var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, cancellationToken);
                _rawCredits!.Release();
                _delivery.Add(received);
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            _delivery.Fail(error);
        }
    }
}
