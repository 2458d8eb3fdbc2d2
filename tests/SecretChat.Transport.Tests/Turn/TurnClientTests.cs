using System.Buffers.Binary;
using System.Net;
using Microsoft.Reactive.Testing;
using SecretChat.Tests;
using SecretChat.Transport.Stun;
using SecretChat.Transport.Turn;

namespace SecretChat.Transport.Tests.Turn;

/// <summary>The TURN client against a server the test plays through the codec, in virtual time.</summary>
public class TurnClientTests
{
    private static readonly IPEndPoint Peer = new(IPAddress.Parse("198.51.100.7"), 61000);
    private static readonly IPEndPoint Stranger = new(IPAddress.Parse("198.51.100.99"), 61000);

    private static TimeSpan At(FakeTurnServer server) => TimeSpan.FromTicks(server.Scheduler.Clock);

    private static void AdvanceTo(FakeTurnServer server, TimeSpan time) => server.Scheduler.AdvanceTo(time.Ticks);

    [Fact]
    public async Task Allocate_ChallengedWith401_RetriesSignedAndReturnsTheRelayedAddress()
    {
        var server = new FakeTurnServer();
        var allocation = server.Client.AllocateAsync();

        var first = await server.NextRequestAsync();
        Assert.Equal(StunMessageType.AllocateMethod, first.Type.Method);
        Assert.Equal(new byte[] { 17, 0, 0, 0 }, first.Find(StunAttributeType.RequestedTransport)!.Value.Value.ToArray());
        Assert.False(first.HasMessageIntegrity);
        Assert.True(first.VerifyFingerprint());
        Assert.True(server.Deliver(FakeTurnServer.Challenge(first, 401, "nonce-1")));

        var signed = await server.NextRequestAsync();
        Assert.Equal(server.Credentials.Username, signed.Username);
        Assert.Equal(FakeTurnServer.Realm, signed.Realm);
        Assert.Equal("nonce-1", signed.Nonce);
        Assert.True(signed.VerifyMessageIntegrity(server.Key));
        Assert.True(server.Deliver(server.Success(signed, b => b.AddXorRelayedAddress(FakeTurnServer.Relayed).AddXorMappedAddress(FakeTurnServer.Mapped))));

        Assert.Equal(FakeTurnServer.Relayed, await allocation.WaitAsync(Timeouts.Default));
        Assert.Equal(FakeTurnServer.Relayed, server.Client.RelayedAddress);
        Assert.Equal(FakeTurnServer.Mapped, server.Client.MappedAddress);
        Assert.Equal(0, server.Client.DroppedDatagrams);
    }

    [Fact]
    public async Task Allocate_StaleNonce_RetriesWithTheNewNonce()
    {
        var server = new FakeTurnServer();
        var allocation = server.Client.AllocateAsync();
        server.Deliver(FakeTurnServer.Challenge(await server.NextRequestAsync(), 401, "nonce-1"));
        var signed = await server.NextRequestAsync();

        Assert.True(server.Deliver(FakeTurnServer.Challenge(signed, 438, "nonce-2")));
        var again = await server.NextRequestAsync();
        Assert.Equal("nonce-2", again.Nonce);
        Assert.True(again.VerifyMessageIntegrity(server.Key));
        server.Deliver(server.Success(again, b => b.AddXorRelayedAddress(FakeTurnServer.Relayed)));

        Assert.Equal(FakeTurnServer.Relayed, await allocation.WaitAsync(Timeouts.Default));
    }

    [Fact]
    public async Task Allocate_401ToSignedRequest_RefusedWithTheWrongPasswordSentence()
    {
        var server = new FakeTurnServer();
        var allocation = server.Client.AllocateAsync();
        server.Deliver(FakeTurnServer.Challenge(await server.NextRequestAsync(), 401, "nonce-1"));
        server.Deliver(FakeTurnServer.Challenge(await server.NextRequestAsync(), 401, "nonce-1"));

        var error = await Assert.ThrowsAsync<TurnException>(() => allocation.WaitAsync(Timeouts.Default));
        Assert.Equal(
            "the TURN server at 192.0.2.10:3478 refused the credentials: wrong username or password: check --turn-secret-file matches the server's static-auth-secret",
            error.Message);
        Assert.True(error.IsCredentialRefusal);
        Assert.Equal(FakeTurnServer.Address, error.Server);
    }

    [Fact]
    public async Task Allocate_EndlessStaleNonces_GivesUpAfterThreeChallenges()
    {
        var server = new FakeTurnServer();
        var allocation = server.Client.AllocateAsync();
        server.Deliver(FakeTurnServer.Challenge(await server.NextRequestAsync(), 401, "nonce-0"));
        for (var i = 1; i <= 3; i++)
            server.Deliver(FakeTurnServer.Challenge(await server.NextRequestAsync(), 438, $"nonce-{i}"));

        var error = await Assert.ThrowsAsync<TurnException>(() => allocation.WaitAsync(Timeouts.Default));
        Assert.Equal(StunErrorCode.StaleNonce, error.Error?.Code);
        Assert.Equal(4, server.Requests().Count);
    }

    [Theory]
    [InlineData(442, "Unsupported Transport Protocol", "the TURN server at 192.0.2.10:3478 refused the allocation: it does not relay UDP (442 Unsupported Transport Protocol)")]
    [InlineData(486, "Allocation Quota Reached", "the TURN server at 192.0.2.10:3478 refused the allocation: this user has reached the server's allocation quota (486)")]
    [InlineData(508, "Insufficient Capacity", "the TURN server at 192.0.2.10:3478 refused the allocation: it has no relay ports left (508 Insufficient Capacity)")]
    [InlineData(599, "\u001b[31mRed\u0007 alert\r\n", "the TURN server at 192.0.2.10:3478 refused the allocation: 599 [31mRed alert")]
    public async Task Allocate_SignedErrorResponse_RefusedWithItsSentence(int code, string reason, string sentence)
    {
        var server = new FakeTurnServer();
        var allocation = server.Client.AllocateAsync();
        server.Deliver(FakeTurnServer.Challenge(await server.NextRequestAsync(), 401, "nonce-1"));
        server.Deliver(server.Error(await server.NextRequestAsync(), code, reason));

        var error = await Assert.ThrowsAsync<TurnException>(() => allocation.WaitAsync(Timeouts.Default));
        Assert.Equal(sentence, error.Message);
        Assert.Equal(code, error.Error?.Code);
    }

    [Fact]
    public async Task Allocate_NoAnswer_FailsNamingTheServerAfter39Point5Seconds()
    {
        var server = new FakeTurnServer();
        var allocation = server.Client.AllocateAsync();
        await server.NextRequestAsync();

        AdvanceTo(server, TimeSpan.FromMilliseconds(39_499));
        Assert.False(allocation.IsCompleted);
        AdvanceTo(server, TimeSpan.FromMilliseconds(39_500));

        var error = await Assert.ThrowsAsync<TurnException>(() => allocation.WaitAsync(Timeouts.Default));
        Assert.Equal("the TURN server at 192.0.2.10:3478 did not answer within 39.5 s", error.Message);
        Assert.Null(error.Error);
        Assert.Equal(
            new long[] { 0, 500, 1500, 3500, 7500, 15500, 31500 },
            server.Sent.Select(s => (long)s.At.TotalMilliseconds));
    }

    [Fact]
    public async Task Allocate_Twice_RefusedWithoutSending()
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync();
        var sent = server.Sent.Count;

        await Assert.ThrowsAsync<InvalidOperationException>(() => server.Client.AllocateAsync());
        Assert.Equal(sent, server.Sent.Count);
    }

    [Fact]
    public async Task Allocation_InVirtualTime_RefreshedAMinuteBeforeEachLifetimeRunsOut()
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync(TimeSpan.FromMinutes(10));

        AdvanceTo(server, TimeSpan.FromSeconds(539));
        Assert.Equal(2, server.Requests().Count); // the Allocate and its signed retry only
        AdvanceTo(server, TimeSpan.FromSeconds(540));
        var refresh = await server.NextRequestAsync();
        Assert.Equal(StunMessageType.RefreshMethod, refresh.Type.Method);
        Assert.Null(refresh.Lifetime);
        Assert.True(refresh.VerifyMessageIntegrity(server.Key));

        // The server's nonce went stale meanwhile: the refresh answers the 438 and goes on.
        server.Deliver(FakeTurnServer.Challenge(refresh, 438, "nonce-2"));
        var retried = await server.NextRequestAsync();
        Assert.Equal("nonce-2", retried.Nonce);
        server.Deliver(server.Success(retried, b => b.AddLifetime(TimeSpan.FromSeconds(100))));
        await server.Client.RefreshesSettled.WaitAsync(Timeouts.Default);

        // A short lifetime (under two minutes) is refreshed at half of it.
        AdvanceTo(server, TimeSpan.FromSeconds(540 + 49));
        Assert.Equal(4, server.Requests().Count);
        AdvanceTo(server, TimeSpan.FromSeconds(540 + 50));
        Assert.Equal(StunMessageType.RefreshMethod, (await server.NextRequestAsync()).Type.Method);
        Assert.Equal(TimeSpan.FromSeconds(590), server.Requests()[^1].At);
        Assert.False(server.Client.Lost.IsCompleted);
    }

    [Fact]
    public async Task Allocation_RefreshRefused_ReportedLostWithTheSentence()
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync(TimeSpan.FromMinutes(10));
        AdvanceTo(server, TimeSpan.FromSeconds(540));
        server.Deliver(server.Error(await server.NextRequestAsync(), 437, "Allocation Mismatch"));

        var lost = await server.Client.Lost.WaitAsync(Timeouts.Default);
        Assert.Equal(StunErrorCode.AllocationMismatch, lost?.Error?.Code);
        Assert.StartsWith("the TURN server at 192.0.2.10:3478 refused the allocation's refresh: ", lost?.Message);
    }

    [Fact]
    public async Task Permit_RefreshAnswered437_AllocationReportedLostAndNothingIsRefreshedAnyMore()
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync(TimeSpan.FromHours(1));
        await server.PermitAsync(Peer);

        AdvanceTo(server, TimeSpan.FromSeconds(240));
        var refresh = await server.NextRequestAsync();
        Assert.Equal(StunMessageType.CreatePermissionMethod, refresh.Type.Method);
        server.Deliver(server.Error(refresh, 437, "Allocation Mismatch"));

        var lost = await server.Client.Lost.WaitAsync(Timeouts.Default);
        Assert.Equal(StunErrorCode.AllocationMismatch, lost?.Error?.Code);
        var requests = server.Requests().Count;
        AdvanceTo(server, TimeSpan.FromHours(2));
        Assert.Equal(requests, server.Requests().Count);
    }

    [Fact]
    public async Task Permit_InVirtualTime_PermissionRefreshedEvery240sAndChannelEvery480s()
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync(TimeSpan.FromHours(1));
        await server.PermitAsync(Peer);
        var permitted = server.Requests().Where(r => r.Method is StunMessageType.CreatePermissionMethod or StunMessageType.ChannelBindMethod).ToList();
        Assert.All(permitted, r => Assert.Equal(TimeSpan.Zero, r.At));

        // Answer every refresh as it comes, so none retransmits.
        for (var second = 1; second <= 1000; second++)
        {
            AdvanceTo(server, TimeSpan.FromSeconds(second));
            foreach (var (_, datagram, _) in server.Sent.ToList())
            {
                var message = StunMessage.Parse(datagram);
                if (message.Type.Class == StunClass.Request)
                    server.Deliver(server.Success(message));
            }
        }

        var refreshes = server.Requests().Skip(4).ToList(); // Allocate ×2, CreatePermission, ChannelBind
        Assert.Equal(
            [
                (TimeSpan.FromSeconds(240), StunMessageType.CreatePermissionMethod),
                (TimeSpan.FromSeconds(480), StunMessageType.CreatePermissionMethod),
                (TimeSpan.FromSeconds(480), StunMessageType.ChannelBindMethod),
                (TimeSpan.FromSeconds(720), StunMessageType.CreatePermissionMethod),
                (TimeSpan.FromSeconds(960), StunMessageType.CreatePermissionMethod),
                (TimeSpan.FromSeconds(960), StunMessageType.ChannelBindMethod),
            ],
            refreshes.OrderBy(r => r.At).ThenBy(r => r.Method));
        var rebind = server.Sent.Select(s => StunMessage.Parse(s.Datagram)).Last(m => m.Type.Method == StunMessageType.ChannelBindMethod);
        Assert.Equal(TurnChannelData.FirstChannel, rebind.ChannelNumber);
        Assert.Equal(Peer, rebind.XorPeerAddress);
    }

    [Fact]
    public async Task Send_BeforeTheBindAndAfter_SendIndicationThenChannelData()
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync();
        var permit = server.Client.PermitAsync(Peer);
        server.Deliver(server.Success(await server.NextRequestAsync()));
        var bind = await server.NextRequestAsync();

        await server.Client.SendAsync(new byte[] { 1, 2, 3 }, Peer);
        var indication = StunMessage.Parse(server.Sent[^1].Datagram);
        Assert.Equal(new StunMessageType(StunMessageType.SendMethod, StunClass.Indication), indication.Type);
        Assert.Equal(Peer, indication.XorPeerAddress);
        Assert.Equal(new byte[] { 1, 2, 3 }, indication.Data!.Value.ToArray());
        Assert.Equal(FakeTurnServer.Address, server.Sent[^1].To);

        server.Deliver(server.Success(bind));
        await permit.WaitAsync(Timeouts.Default);
        await server.Client.SendAsync(new byte[] { 4, 5 }, Peer);
        Assert.Equal(new byte[] { 0x40, 0x00, 0x00, 0x02, 4, 5 }, server.Sent[^1].Datagram);
        Assert.Equal(FakeTurnServer.Address, server.Sent[^1].To);
    }

    [Fact]
    public async Task Send_TooLargeOrBeforeAllocating_Refused()
    {
        var server = new FakeTurnServer();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await server.Client.SendAsync(new byte[1], Peer));
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.Client.PermitAsync(Peer));
        await server.AllocateAsync();
        Assert.Equal("payload", (await Assert.ThrowsAsync<ArgumentException>(async () => await server.Client.SendAsync(new byte[65536], Peer))).ParamName);
    }

    [Fact]
    public async Task TryHandle_ChannelDataOnABoundChannel_DeliversThePeersDatagram()
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync();
        await server.PermitAsync(Peer);

        Assert.True(server.Client.TryHandle(new byte[] { 0x40, 0x00, 0x00, 0x03, 7, 8, 9, 0 }, FakeTurnServer.Address, out var delivery));
        Assert.True(delivery.HasPayload);
        Assert.Equal(Peer, delivery.Peer);
        Assert.Equal(new byte[] { 7, 8, 9 }, delivery.Payload.ToArray());
    }

    [Fact]
    public async Task TryHandle_DataIndication_DeliveredFromAPermittedPeerOnly()
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync();
        await server.PermitAsync(Peer);
        var samePeerOtherPort = new IPEndPoint(Peer.Address, 1234);

        Assert.True(server.Client.TryHandle(DataIndication(samePeerOtherPort, [1, 2]), FakeTurnServer.Address, out var delivery));
        Assert.Equal(samePeerOtherPort, delivery.Peer); // permissions are per IP address (RFC 8656 §9)
        Assert.Equal(new byte[] { 1, 2 }, delivery.Payload.ToArray());

        Assert.True(server.Client.TryHandle(DataIndication(Stranger, [3]), FakeTurnServer.Address, out delivery));
        Assert.False(delivery.HasPayload);
        Assert.Equal(1, server.Client.Dropped(TurnDropReason.UnpermittedPeer));
    }

    [Fact]
    public async Task TryHandle_ForgedResponseWithAnotherTransactionId_DroppedCountedAndTheRealOneStillCompletes()
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync();
        var permit = server.Client.PermitAsync(Peer);
        var request = await server.NextRequestAsync();

        var forged = new StunMessageBuilder(new StunMessageType(StunMessageType.CreatePermissionMethod, StunClass.ErrorResponse), StunTransactionId.New())
            .AddErrorCode(403, "Forbidden").AddMessageIntegrity(server.Key).ToArray();
        Assert.True(server.Deliver(forged));
        Assert.Equal(1, server.Client.Dropped(TurnDropReason.UnknownTransaction));
        Assert.False(permit.IsCompleted);

        server.Deliver(server.Success(request));
        server.Deliver(server.Success(await server.NextRequestAsync()));
        await permit.WaitAsync(Timeouts.Default);
    }

    [Fact]
    public async Task TryHandle_ResponseWithBadIntegrity_DroppedCountedAndTheRealOneStillCompletes()
    {
        var server = new FakeTurnServer();
        var allocation = server.Client.AllocateAsync();
        var first = await server.NextRequestAsync();

        // A success to the unsigned first request cannot be authentic: it would let anyone pick our relayed address.
        Assert.True(server.Deliver(FakeTurnServer.Response(first).AddXorRelayedAddress(Stranger).AddFingerprint().ToArray()));
        server.Deliver(FakeTurnServer.Challenge(first, 401, "nonce-1"));
        var signed = await server.NextRequestAsync();
        Assert.True(server.Deliver(server.Success(signed, b => b.AddXorRelayedAddress(Stranger), key: new byte[16])));
        Assert.True(server.Deliver(FakeTurnServer.Response(signed).AddXorRelayedAddress(Stranger).ToArray()));
        var tampered = server.Error(signed, 486, "Quota");
        Tamper(tampered);
        Assert.True(server.Deliver(tampered));
        Assert.Equal(4, server.Client.Dropped(TurnDropReason.BadIntegrity));
        Assert.False(allocation.IsCompleted);

        server.Deliver(server.Success(signed, b => b.AddXorRelayedAddress(FakeTurnServer.Relayed)));
        Assert.Equal(FakeTurnServer.Relayed, await allocation.WaitAsync(Timeouts.Default));
    }

    [Fact]
    public async Task TryHandle_ResponseFromAnotherAddress_NotConsumedAndTheTransactionWaits()
    {
        var server = new FakeTurnServer();
        var allocation = server.Client.AllocateAsync();
        var first = await server.NextRequestAsync();

        Assert.False(server.Deliver(FakeTurnServer.Challenge(first, 401, "nonce-1"), from: Stranger));
        Assert.False(server.Deliver([0x40, 0x00, 0x00, 0x00], from: new IPEndPoint(FakeTurnServer.Address.Address, 3479)));
        Assert.Equal(0, server.Client.DroppedDatagrams);
        Assert.Single(server.Requests());

        server.Deliver(FakeTurnServer.Challenge(first, 401, "nonce-1"));
        server.Deliver(server.Success(await server.NextRequestAsync(), b => b.AddXorRelayedAddress(FakeTurnServer.Relayed)));
        await allocation.WaitAsync(Timeouts.Default);
    }

    [Fact]
    public async Task TryHandle_ChannelDataForAnUnboundChannel_DroppedAndCounted()
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync();
        await server.PermitAsync(Peer); // binds 0x4000

        Assert.True(server.Client.TryHandle(new byte[] { 0x40, 0x01, 0x00, 0x01, 9 }, FakeTurnServer.Address, out var delivery));
        Assert.False(delivery.HasPayload);
        Assert.Equal(1, server.Client.Dropped(TurnDropReason.UnboundChannel));
    }

    [Theory]
    [InlineData(new byte[] { 0x40 })] // shorter than the header
    [InlineData(new byte[] { 0x40, 0x00, 0x00, 0x05, 1, 2, 3 })] // truncated: claims 5, carries 3
    [InlineData(new byte[] { 0x40, 0x00, 0x00, 0x01, 1, 0, 0, 0, 0 })] // oversize: 4 bytes after the data
    [InlineData(new byte[] { 0x50, 0x00, 0x00, 0x01, 1 })] // channel 0x5000: reserved
    [InlineData(new byte[] { 0x7F, 0xFF, 0x00, 0x00 })] // channel 0x7FFF: reserved
    public async Task TryHandle_MalformedChannelData_DroppedAndCounted(byte[] datagram)
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync();
        await server.PermitAsync(Peer);

        Assert.True(server.Client.TryHandle(datagram, FakeTurnServer.Address, out var delivery));
        Assert.False(delivery.HasPayload);
        Assert.Equal(1, server.Client.Dropped(TurnDropReason.Malformed));
    }

    [Fact]
    public void TryHandle_StunBindingMessageFromTheServer_LeftForTheStunClient()
    {
        var server = new FakeTurnServer();
        var binding = new StunMessageBuilder(StunMessageType.BindingSuccess, StunTransactionId.New())
            .AddXorMappedAddress(FakeTurnServer.Mapped).AddFingerprint().ToArray();

        Assert.False(server.Deliver(binding));
        Assert.Equal(0, server.Client.DroppedDatagrams);
    }

    [Fact]
    public void TryHandle_RequestsAndUnknownMethodsFromTheServer_DroppedAsUnexpected()
    {
        var server = new FakeTurnServer();
        var request = new StunMessageBuilder(new StunMessageType(StunMessageType.AllocateMethod, StunClass.Request), StunTransactionId.New()).ToArray();
        var send = new StunMessageBuilder(new StunMessageType(StunMessageType.SendMethod, StunClass.Indication), StunTransactionId.New())
            .AddXorPeerAddress(Peer).AddData([1]).ToArray();

        Assert.True(server.Deliver(request));
        Assert.True(server.Deliver(send));
        Assert.Equal(2, server.Client.Dropped(TurnDropReason.Unexpected));
    }

    [Fact]
    public async Task TryHandle_RandomAndMutatedDatagrams_NeverThrowsNorDelivers()
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync();
        var request = StunMessage.Parse(new StunMessageBuilder(new StunMessageType(StunMessageType.RefreshMethod, StunClass.Request), StunTransactionId.New()).ToArray());
        var valid = server.Success(request, b => b.AddXorPeerAddress(Peer).AddData([1, 2, 3]));
        var random = new Random(18);
        var delivered = 0;
        for (var i = 0; i < 5000; i++)
        {
            byte[] datagram;
            if (i % 2 == 0)
            {
                datagram = new byte[random.Next(0, 200)];
                random.NextBytes(datagram);
                if (datagram.Length > 8 && i % 4 == 0)
                    BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(4), StunMessage.MagicCookie); // STUN-looking
            }
            else
            {
                datagram = (byte[])valid.Clone();
                datagram[random.Next(datagram.Length)] ^= (byte)random.Next(1, 256);
            }

            if (server.Client.TryHandle(datagram, FakeTurnServer.Address, out var delivery) && delivery.HasPayload)
                delivered++;
        }

        Assert.Equal(0, delivered); // nothing is bound or permitted: no datagram reaches the owner
        Assert.True(server.Client.DroppedDatagrams > 0);
    }

    [Fact]
    public async Task Dispose_Allocated_SendsRefreshWithLifetimeZeroAndStopsRefreshing()
    {
        var server = new FakeTurnServer();
        await server.AllocateAsync();
        await server.PermitAsync(Peer);

        var dispose = server.Client.DisposeAsync().AsTask();
        var deallocate = await server.NextRequestAsync();
        Assert.Equal(StunMessageType.RefreshMethod, deallocate.Type.Method);
        Assert.Equal(TimeSpan.Zero, deallocate.Lifetime);
        Assert.True(deallocate.VerifyMessageIntegrity(server.Key));
        server.Deliver(server.Success(deallocate, b => b.AddLifetime(TimeSpan.Zero)));
        await dispose.WaitAsync(Timeouts.Default);

        Assert.True(server.Client.DeallocationConfirmed);
        Assert.Null(await server.Client.Lost.WaitAsync(Timeouts.Default));
        var sent = server.Sent.Count;
        AdvanceTo(server, TimeSpan.FromHours(1));
        Assert.Equal(sent, server.Sent.Count);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => server.Client.PermitAsync(Peer));
    }

    [Fact]
    public async Task Dispose_ServerSilent_GivesUpAfterTheDeallocateTimeout()
    {
        var server = new FakeTurnServer(new TurnClientOptions { DeallocateTimeout = TimeSpan.FromSeconds(2) });
        await server.AllocateAsync();

        var dispose = server.Client.DisposeAsync().AsTask();
        await server.NextRequestAsync();
        AdvanceTo(server, TimeSpan.FromMilliseconds(1999));
        Assert.False(dispose.IsCompleted);
        AdvanceTo(server, TimeSpan.FromSeconds(2));

        await dispose.WaitAsync(Timeouts.Default);
        Assert.False(server.Client.DeallocationConfirmed);
    }

    [Fact]
    public void Constructor_ArgumentChecking()
    {
        var scheduler = new TestScheduler();
        var credentials = new TurnCredentials("u", "p");
        SendDatagram send = (_, _, _) => ValueTask.CompletedTask;
        Assert.Equal("server", Assert.Throws<ArgumentNullException>(() => new TurnClient(null!, credentials, send, scheduler)).ParamName);
        Assert.Equal("credentials", Assert.Throws<ArgumentNullException>(() => new TurnClient(FakeTurnServer.Address, null!, send, scheduler)).ParamName);
        Assert.Equal("send", Assert.Throws<ArgumentNullException>(() => new TurnClient(FakeTurnServer.Address, credentials, null!, scheduler)).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => new TurnClient(FakeTurnServer.Address, credentials, send, null!)).ParamName);
        Assert.Equal("peer", Assert.Throws<ArgumentNullException>(() => { _ = new FakeTurnServer().Client.PermitAsync(null!); }).ParamName);
        Assert.Equal("peer", Assert.Throws<ArgumentNullException>(() => { _ = new FakeTurnServer().Client.SendAsync(new byte[1], null!); }).ParamName);
        Assert.Equal("from", Assert.Throws<ArgumentNullException>(() => new FakeTurnServer().Client.TryHandle([], null!, out _)).ParamName);
        Assert.Equal("PermissionRefreshInterval", Assert.Throws<ArgumentOutOfRangeException>(() =>
            new TurnClient(FakeTurnServer.Address, credentials, send, scheduler, new TurnClientOptions { PermissionRefreshInterval = TimeSpan.FromSeconds(300) })).ParamName);
    }

    private static byte[] DataIndication(IPEndPoint peer, byte[] data) =>
        new StunMessageBuilder(new StunMessageType(StunMessageType.DataMethod, StunClass.Indication), StunTransactionId.New())
            .AddXorPeerAddress(peer).AddData(data).ToArray();

    /// <summary>Flips a bit of the MESSAGE-INTEGRITY value (just before FINGERPRINT's 8 bytes) and fixes the FINGERPRINT.</summary>
    private static void Tamper(byte[] message)
    {
        message[^9] ^= 1;
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(message.Length - 4), StunMessage.ComputeFingerprint(message.AsSpan(0, message.Length - 8)));
    }
}
