using System.Net;
using System.Threading.Channels;
using Microsoft.Reactive.Testing;
using SecretChat.Tests;
using SecretChat.Transport.Stun;
using SecretChat.Transport.Turn;

namespace SecretChat.Transport.Tests.Turn;

/// <summary>
/// A TURN server played by the test through the STUN codec: it sees what a <see cref="TurnClient"/> on a
/// <see cref="TestScheduler"/> sends and answers what the test chooses, signed with the long-term key or not.
/// </summary>
internal sealed class FakeTurnServer
{
    public static readonly IPEndPoint Address = new(IPAddress.Parse("192.0.2.10"), 3478);
    public static readonly IPEndPoint Relayed = new(IPAddress.Parse("192.0.2.10"), 50000);
    public static readonly IPEndPoint Mapped = new(IPAddress.Parse("203.0.113.5"), 40000);
    public const string Realm = "secretchat.test";

    private readonly Channel<StunMessage> _requests = Channel.CreateUnbounded<StunMessage>();
    private readonly Lock _gate = new();

    public FakeTurnServer(TurnClientOptions? options = null)
    {
        Credentials = TurnCredentials.FromSharedSecret("north-wind-secret", "alice", new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Key = Credentials.LongTermKey(Realm);
        Client = new TurnClient(Address, Credentials, SendAsync, Scheduler, options);
    }

    public TestScheduler Scheduler { get; } = new();

    public TurnCredentials Credentials { get; }

    public byte[] Key { get; }

    public TurnClient Client { get; }

    /// <summary>Every datagram the client sent, with the virtual time.</summary>
    public List<(TimeSpan At, byte[] Datagram, IPEndPoint To)> Sent { get; } = [];

    /// <summary>The first send time of each request (retransmissions left out), with its method.</summary>
    public List<(TimeSpan At, ushort Method)> Requests()
    {
        lock (_gate)
        {
            return Sent.Where(s => StunMessage.IsStun(s.Datagram))
                .Select(s => (s.At, Message: StunMessage.Parse(s.Datagram)))
                .Where(s => s.Message.Type.Class == StunClass.Request)
                .DistinctBy(s => s.Message.TransactionId)
                .Select(s => (s.At, s.Message.Type.Method))
                .ToList();
        }
    }

    /// <summary>The next request the client sends (a retransmission of an answered one is skipped by the caller).</summary>
    public async Task<StunMessage> NextRequestAsync() => await _requests.Reader.ReadAsync().AsTask().WaitAsync(Timeouts.Default);

    /// <summary>Feeds <paramref name="datagram"/> to the client as if from <paramref name="from"/> (the server by default).</summary>
    public bool Deliver(byte[] datagram, IPEndPoint? from = null) => Client.TryHandle(datagram, from ?? Address, out _);

    public static StunMessageBuilder Response(StunMessage request, StunClass @class = StunClass.SuccessResponse) =>
        new(new StunMessageType(request.Type.Method, @class), request.TransactionId);

    /// <summary>A success response signed with the key (or <paramref name="key"/>).</summary>
    public byte[] Success(StunMessage request, Action<StunMessageBuilder>? attributes = null, byte[]? key = null)
    {
        var builder = Response(request);
        attributes?.Invoke(builder);
        return builder.AddMessageIntegrity(key ?? Key).AddFingerprint().ToArray();
    }

    /// <summary>An unsigned 401 or 438 carrying REALM and <paramref name="nonce"/>.</summary>
    public static byte[] Challenge(StunMessage request, int code, string nonce) =>
        Response(request, StunClass.ErrorResponse).AddErrorCode(code, code == 401 ? "Unauthorized" : "Stale Nonce")
            .AddRealm(Realm).AddNonce(nonce).AddFingerprint().ToArray();

    /// <summary>A signed error response.</summary>
    public byte[] Error(StunMessage request, int code, string reason) =>
        Response(request, StunClass.ErrorResponse).AddErrorCode(code, reason).AddMessageIntegrity(Key).AddFingerprint().ToArray();

    /// <summary>Runs an Allocate through the 401 challenge to success with <paramref name="lifetime"/>.</summary>
    public async Task<IPEndPoint> AllocateAsync(TimeSpan? lifetime = null)
    {
        var allocation = Client.AllocateAsync();
        var first = await NextRequestAsync();
        Assert.True(Deliver(Challenge(first, 401, "nonce-1")));
        var signed = await NextRequestAsync();
        Assert.True(Deliver(Success(signed, b => b.AddXorRelayedAddress(Relayed).AddXorMappedAddress(Mapped).AddLifetime(lifetime ?? TimeSpan.FromMinutes(10)))));
        return await allocation.WaitAsync(Timeouts.Default);
    }

    /// <summary>Runs PermitAsync for <paramref name="peer"/>, answering CreatePermission and ChannelBind.</summary>
    public async Task PermitAsync(IPEndPoint peer)
    {
        var permit = Client.PermitAsync(peer);
        var permission = await NextRequestAsync();
        Assert.Equal(StunMessageType.CreatePermissionMethod, permission.Type.Method);
        Assert.True(Deliver(Success(permission)));
        var bind = await NextRequestAsync();
        Assert.Equal(StunMessageType.ChannelBindMethod, bind.Type.Method);
        Assert.True(Deliver(Success(bind)));
        await permit.WaitAsync(Timeouts.Default);
    }

    private ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken cancellationToken)
    {
        var bytes = datagram.ToArray();
        var request = StunMessage.IsStun(bytes) && StunMessage.Parse(bytes) is { Type.Class: StunClass.Request } parsed ? parsed : null;
        bool first;
        lock (_gate)
        {
            first = request is not null
                    && !Sent.Any(s => StunMessage.IsStun(s.Datagram) && StunMessage.Parse(s.Datagram).TransactionId == request.TransactionId);
            Sent.Add((TimeSpan.FromTicks(Scheduler.Clock), bytes, to));
        }

        if (first)
            _requests.Writer.TryWrite(request!);
        return ValueTask.CompletedTask;
    }
}
