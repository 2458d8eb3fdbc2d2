using System.Net;
using System.Reactive.Concurrency;
using LiteNetLib;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Transport;
using SecretChat.Transport.Reliability;
using SecretChat.Transport.Udp;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// SecretChat's reliable UDP session on loopback: a noise handshake, every datagram sealed, the reliability engine
/// inside. Wired as <see cref="ReliableDatagramChannel"/> wires it (the same options fitted to the sealed datagram, the
/// same transmit), but holding the <see cref="ReliableSession"/> itself, because only it says when everything sent has
/// been acknowledged.
/// </summary>
public sealed class SecretChatUdpLatencyRig : LatencyRig
{
    private readonly UdpDatagramSocket[] _sockets;
    private readonly StaticKeyPair[] _keys;
    private readonly SecureDatagramChannel[] _channels;
    private readonly ReliableSession _sender;
    private readonly ReliableSession _receiver;
    private readonly List<IDisposable> _wiring = [];

    private SecretChatUdpLatencyRig(bool acknowledged) : base(acknowledged ? "SecretChatUdp acked" : "SecretChatUdp", acknowledged)
    {
        _sockets = [UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0)), UdpDatagramSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0))];
        var (senderSocket, receiverSocket) = (_sockets[0], _sockets[1]);
        _keys = [StaticKeyPair.Generate(), StaticKeyPair.Generate()];
        var receiving = SecureDatagramChannel.Accept(new NoiseSecurity(_keys[1]), receiverSocket.SendAsync);
        var sending = SecureDatagramChannel.Connect(new NoiseSecurity(_keys[0]), receiverSocket.LocalEndPoint, senderSocket.SendAsync);
        _channels = [sending, receiving];
        _wiring.Add(receiverSocket.Datagrams.Subscribe(d => receiving.Receive(d.RemoteEndPoint, d.Payload.Span)));
        _wiring.Add(senderSocket.Datagrams.Subscribe(d => sending.Receive(d.RemoteEndPoint, d.Payload.Span)));
        _sender = Session(sending);
        _receiver = Session(receiving);
        _wiring.Add(_receiver.Messages.Subscribe(m => Received(m.Length), Failed));
        _wiring.Add(_sender.Messages.Subscribe(_ => { }, Failed));
    }

    public static async Task<LatencyRig> CreateAsync(bool acknowledged)
    {
        var rig = new SecretChatUdpLatencyRig(acknowledged);
        await Task.WhenAll(rig._channels[0].Established, rig._channels[1].Established).WaitAsync(Patience).ConfigureAwait(false);
        return rig;
    }

    protected override ValueTask SendAsync(ReadOnlyMemory<byte> message) => _sender.SendAsync(message);

    protected override async ValueTask SendProbeAsync()
    {
        await _sender.SendAsync(Probe).ConfigureAwait(false);
        if (Acknowledged)
            _ = _sender.WhenAllAcknowledgedAsync().ContinueWith(
                acked => { if (acked.IsCompletedSuccessfully) Arrived(); else Failed(acked.Exception?.InnerException ?? new TaskCanceledException()); },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    protected override async ValueTask DisposeCoreAsync()
    {
        foreach (var wiring in _wiring)
            wiring.Dispose();
        _sender.Dispose();
        _receiver.Dispose();
        foreach (var channel in _channels)
            await channel.DisposeAsync().ConfigureAwait(false);
        foreach (var socket in _sockets)
            socket.Dispose();
        foreach (var key in _keys)
            key.Dispose();
    }

    private ReliableSession Session(SecureDatagramChannel datagrams)
    {
        var options = new ReliabilityOptions();
        var fitted = options with
        {
            MaxPayloadSize = Math.Min(options.MaxPayloadSize, datagrams.MaxPayloadSize),
            MaxMessageSize = Math.Min(options.MaxMessageSize, TransportLimits.MaxMessageSize),
        };
        var session = new ReliableSession(fitted, DefaultScheduler.Instance, payload => Transmit(datagrams, payload));
        _wiring.Add(datagrams.Payloads.Subscribe(payload => session.Receive(payload.Span)));
        return session;
    }

    private static void Transmit(SecureDatagramChannel datagrams, ReadOnlyMemory<byte> payload)
    {
        try
        {
            var sending = datagrams.SendAsync(payload);
            if (!sending.IsCompletedSuccessfully)
                _ = sending.AsTask().ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }
        catch (Exception e) when (TransportErrors.IsLostDatagram(e))
        {
            // A lost datagram: the reliability engine retransmits.
        }
    }
}

/// <summary>
/// The UDP baseline: LiteNetLib's reliable-ordered channel, configured as in <see cref="UdpThroughputBenchmarks"/>
/// (MTU 1200, 1 ms tick, events on its own threads), each send flushed at once with <c>TriggerUpdate</c> (what a
/// latency-minded user calls instead of waiting for the next tick). An acknowledged probe is sent with
/// <c>SendWithDeliveryEvent</c>, whose event LiteNetLib raises when the peer's acknowledgement returns.
/// </summary>
public sealed class LiteNetLibLatencyRig : LatencyRig
{
    private static readonly object ProbeMark = new();

    private readonly NetManager _server;
    private readonly NetManager _client;
    private NetPeer? _peer;

    private LiteNetLibLatencyRig(bool acknowledged) : base(acknowledged ? "LiteNetLib acked" : "LiteNetLib", acknowledged)
    {
        var serverEvents = new EventBasedNetListener();
        serverEvents.ConnectionRequestEvent += request => request.Accept();
        serverEvents.NetworkReceiveEvent += (_, reader, _, _) =>
        {
            var length = reader.AvailableBytes;
            reader.Recycle();
            Received(length);
        };
        _server = Manager(serverEvents);
        var clientEvents = new EventBasedNetListener();
        clientEvents.PeerConnectedEvent += _ => Connected.TrySetResult();
        clientEvents.DeliveryEvent += (_, userData) =>
        {
            if (ReferenceEquals(userData, ProbeMark))
                Arrived();
        };
        _client = Manager(clientEvents);
    }

    private TaskCompletionSource Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<LatencyRig> CreateAsync(bool acknowledged)
    {
        var rig = new LiteNetLibLatencyRig(acknowledged);
        rig._server.Start(IPAddress.Loopback, IPAddress.IPv6Loopback, 0);
        rig._client.Start(IPAddress.Loopback, IPAddress.IPv6Loopback, 0);
        rig._peer = rig._client.Connect(new IPEndPoint(IPAddress.Loopback, rig._server.LocalPort), "bench");
        await rig.Connected.Task.WaitAsync(Patience).ConfigureAwait(false);
        if (rig._peer.Mtu != UdpThroughputBenchmarks.DatagramSize)
            throw new InvalidOperationException($"LiteNetLib runs at MTU {rig._peer.Mtu}, not {UdpThroughputBenchmarks.DatagramSize}.");
        return rig;
    }

    protected override ValueTask SendAsync(ReadOnlyMemory<byte> message)
    {
        _peer!.Send(message.Span, DeliveryMethod.ReliableOrdered);
        _client.TriggerUpdate();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask SendProbeAsync()
    {
        if (!Acknowledged)
            return SendAsync(Probe);
        _peer!.SendWithDeliveryEvent(Probe, DeliveryMethod.ReliableOrdered, ProbeMark);
        _client.TriggerUpdate();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask DisposeCoreAsync()
    {
        _client.Stop();
        _server.Stop();
        return ValueTask.CompletedTask;
    }

    private static NetManager Manager(EventBasedNetListener events) => new(events)
    {
        UnsyncedEvents = true,
        UnsyncedDeliveryEvent = true,
        UpdateTime = 1,
        DisconnectTimeout = 30_000,
        MtuOverride = UdpThroughputBenchmarks.DatagramSize,
    };
}
