using System.Net;
using System.Net.Sockets;
using Microsoft.Reactive.Testing;
using SecretChat.Transport.Stun;

namespace SecretChat.Transport.Tests.Stun;

public class StunClientTests
{
    private static readonly IPEndPoint Server = new(IPAddress.Parse("192.0.2.10"), 3478);
    private static readonly IPEndPoint Mapped = new(IPAddress.Parse("203.0.113.5"), 40000);

    private sealed class Wire
    {
        public List<(long Ticks, byte[] Datagram, IPEndPoint To)> Sent { get; } = [];
    }

    private static (StunClient Client, Wire Wire, TestScheduler Scheduler) Create(StunClientOptions? options = null)
    {
        var scheduler = new TestScheduler();
        var wire = new Wire();
        var client = new StunClient(
            (datagram, to, _) =>
            {
                wire.Sent.Add((scheduler.Clock, datagram.ToArray(), to));
                return ValueTask.CompletedTask;
            },
            scheduler,
            options);
        return (client, wire, scheduler);
    }

    private static byte[] Answer(byte[] request, IPEndPoint mapped)
    {
        var id = StunMessage.Parse(request).TransactionId;
        return new StunMessageBuilder(StunMessageType.BindingSuccess, id).AddXorMappedAddress(mapped).AddFingerprint().ToArray();
    }

    [Fact]
    public async Task Bind_NoAnswer_RetransmitsAtRfcTimesAndTimesOutAfter39Point5Seconds()
    {
        var (client, wire, scheduler) = Create();

        var task = client.BindAsync(Server);
        scheduler.AdvanceTo(TimeSpan.FromMilliseconds(39_499).Ticks);
        Assert.False(task.IsCompleted);
        scheduler.AdvanceTo(TimeSpan.FromMilliseconds(39_500).Ticks);

        Assert.Equal(
            new long[] { 0, 500, 1500, 3500, 7500, 15500, 31500 },
            wire.Sent.Select(s => TimeSpan.FromTicks(s.Ticks).Ticks / TimeSpan.TicksPerMillisecond));
        Assert.All(wire.Sent, s => Assert.Equal(wire.Sent[0].Datagram, s.Datagram)); // same transaction id each time
        Assert.All(wire.Sent, s => Assert.Equal(Server, s.To));
        var error = (await Assert.ThrowsAsync<StunTimeoutException>(() => task));
        Assert.Equal("no STUN answer from 192.0.2.10:3478 within 39.5 s", error.Message);
    }

    [Fact]
    public async Task Bind_CustomOptions_ChangeTheScheduleAndTheStatedTimeout()
    {
        var (client, wire, scheduler) = Create(new StunClientOptions { InitialRto = TimeSpan.FromMilliseconds(100), MaxRequests = 3, LastWaitFactor = 4 });

        var task = client.BindAsync(Server);
        scheduler.Start();

        Assert.Equal(3, wire.Sent.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(700), TimeSpan.FromTicks(scheduler.Clock));
        Assert.Contains("within 0.7 s", (await Assert.ThrowsAsync<StunTimeoutException>(() => task)).Message);
    }

    [Fact]
    public async Task Bind_AnswerToARetransmission_CompletesAndStopsRetransmitting()
    {
        var (client, wire, scheduler) = Create();
        var task = client.BindAsync(Server);
        scheduler.AdvanceTo(TimeSpan.FromMilliseconds(600).Ticks);

        Assert.True(client.TryHandle(Answer(wire.Sent[0].Datagram, Mapped), Server));
        scheduler.Start();

        Assert.Equal(2, wire.Sent.Count);
        var binding = await task;
        Assert.Equal(Mapped, binding.MappedAddress);
        Assert.Equal(Server, binding.Server);
    }

    [Fact]
    public async Task TryHandle_LateDuplicateAnswerToAFinishedTransaction_IsStillConsumed()
    {
        var (client, wire, scheduler) = Create();
        var task = client.BindAsync(Server);
        scheduler.AdvanceTo(TimeSpan.FromMilliseconds(600).Ticks); // the request went out twice
        var answer = Answer(wire.Sent[0].Datagram, Mapped);

        Assert.True(client.TryHandle(answer, Server));
        await task;

        // The server answered the retransmission too: ours, not something for the next protocol on the socket.
        Assert.True(client.TryHandle(answer, Server));
    }

    [Fact]
    public void TryHandle_ForeignOrMismatchedDatagrams_AreNotConsumed()
    {
        var (client, wire, _) = Create();
        _ = client.BindAsync(Server);
        var otherId = new StunMessageBuilder(StunMessageType.BindingSuccess, StunTransactionId.New()).AddXorMappedAddress(Mapped).ToArray();

        Assert.False(client.TryHandle(otherId, Server));
        Assert.False(client.TryHandle([0x01, 0x02, 0x03], Server));
        Assert.False(client.TryHandle([0x40, 0x01], Server));
        Assert.Single(wire.Sent);
    }

    [Fact]
    public void TryHandle_ResponseWithABadFingerprint_IsSwallowedAndTheTransactionWaits()
    {
        var (client, wire, _) = Create();
        var task = client.BindAsync(Server);
        var answer = Answer(wire.Sent[0].Datagram, Mapped);
        answer[^1] ^= 0xFF;

        Assert.True(client.TryHandle(answer, Server));
        Assert.False(task.IsCompleted);
    }

    [Fact]
    public async Task Bind_ErrorResponse_FailsWithTheServersCode()
    {
        var (client, wire, _) = Create();
        var task = client.BindAsync(Server);
        var id = StunMessage.Parse(wire.Sent[0].Datagram).TransactionId;

        client.TryHandle(new StunMessageBuilder(StunMessageType.BindingError, id).AddErrorCode(400, "Bad Request").ToArray(), Server);

        var error = (await Assert.ThrowsAsync<StunErrorResponseException>(() => task));
        Assert.Equal("the STUN server 192.0.2.10:3478 answered 400 Bad Request", error.Message);
    }

    [Fact]
    public void Bind_Cancelled_StopsRetransmitting()
    {
        var (client, wire, scheduler) = Create();
        using var cts = new CancellationTokenSource();
        var task = client.BindAsync(Server, cts.Token);

        cts.Cancel();
        scheduler.Start();

        Assert.True(task.IsCanceled);
        Assert.Single(wire.Sent);
    }

    [Fact]
    public void StunClient_ArgumentChecking()
    {
        var scheduler = new TestScheduler();
        Assert.Equal("send", Assert.Throws<ArgumentNullException>(() => new StunClient(null!, scheduler)).ParamName);
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => new StunClient((_, _, _) => default, null!)).ParamName);
        Assert.Equal("MaxRequests", Assert.Throws<ArgumentOutOfRangeException>(
            () => new StunClient((_, _, _) => default, scheduler, new StunClientOptions { MaxRequests = 0 })).ParamName);
        var (client, _, _) = Create();
        Assert.Equal("server", Assert.Throws<ArgumentNullException>(() => { _ = client.BindAsync(null!); }).ParamName);
    }

    [Fact]
    public async Task UdpStunClient_AgainstALoopbackResponder_LearnsItsOwnAddress()
    {
        using var responder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        responder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var client = UdpStunClient.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        var answering = Task.Run(async () =>
        {
            var buffer = new byte[1500];
            var received = await responder.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0));
            var request = StunMessage.Parse(buffer.AsSpan(0, received.ReceivedBytes));
            Assert.True(StunBindingResponder.TryAnswer(request, (IPEndPoint)received.RemoteEndPoint, "test", out var response));
            await responder.SendToAsync(response, received.RemoteEndPoint);
        });
        var binding = await client.BindAsync(responder.LocalEndPoint!).WaitAsync(TimeSpan.FromSeconds(10));
        await answering.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(client.LocalEndPoint, binding.MappedAddress);
        Assert.Equal("test", binding.ServerSoftware);
    }

    [Fact]
    public void Responder_UnknownRequiredAttribute_Answers420WithTheList()
    {
        var request = StunMessage.Parse(new StunMessageBuilder(StunMessageType.BindingRequest, StunTransactionId.New())
            .AddAttribute(0x7001, [1, 2, 3, 4]).AddFingerprint().ToArray());

        Assert.True(StunBindingResponder.TryAnswer(request, Mapped, null, out var bytes));

        var response = StunMessage.Parse(bytes);
        Assert.Equal(StunMessageType.BindingError, response.Type);
        Assert.Equal(420, response.ErrorCode!.Code);
        Assert.Equal(new byte[] { 0x70, 0x01 }, response.Find(StunAttributeType.UnknownAttributes)!.Value.Value.ToArray());
        Assert.True(response.VerifyFingerprint());
    }

    [Theory]
    [InlineData(StunAttributeType.RequestedTransport)]
    [InlineData(StunAttributeType.Lifetime)]
    [InlineData(StunAttributeType.Data)]
    [InlineData(StunAttributeType.ChannelNumber)]
    [InlineData(StunAttributeType.ChangeRequest)]
    public void Responder_BindingWithAnAttributeOfAnotherMethod_Answers420ListingIt(ushort type)
    {
        // Known to the codec (TURN's, RFC 5780's) but not acted on by a Binding server: RFC 8489 §6.3.1 says 420.
        var request = StunMessage.Parse(new StunMessageBuilder(StunMessageType.BindingRequest, StunTransactionId.New())
            .AddAttribute(type, [0, 0, 0, 0]).AddAttribute(0x7001, [1, 2, 3, 4]).AddFingerprint().ToArray());

        Assert.True(StunBindingResponder.TryAnswer(request, Mapped, null, out var bytes));

        var response = StunMessage.Parse(bytes);
        Assert.Equal(StunMessageType.BindingError, response.Type);
        Assert.Equal(420, response.ErrorCode!.Code);
        Assert.Null(response.XorMappedAddress);
        var listed = response.Find(StunAttributeType.UnknownAttributes)!.Value.Value.ToArray();
        Assert.Equal(new byte[] { 0x70, 0x01, (byte)(type >> 8), (byte)type }, listed);
        Assert.True(response.VerifyFingerprint());
    }

    [Fact]
    public void Responder_BindingWithAuthenticationAndIceAttributes_AnswersTheAddress()
    {
        // A Binding answer tells a client only its own address: attributes of authentication and ICE change nothing.
        var request = StunMessage.Parse(new StunMessageBuilder(StunMessageType.BindingRequest, StunTransactionId.New())
            .AddUsername("alice:bob").AddAttribute(StunAttributeType.Priority, [0, 0, 0, 1]).AddAttribute(StunAttributeType.UseCandidate, [])
            .AddMessageIntegrity(new byte[16]).AddFingerprint().ToArray());

        Assert.True(StunBindingResponder.TryAnswer(request, Mapped, null, out var bytes));

        var response = StunMessage.Parse(bytes);
        Assert.Equal(StunMessageType.BindingSuccess, response.Type);
        Assert.Equal(Mapped, response.XorMappedAddress);
    }

    [Fact]
    public void Responder_ResponsesAndIndications_AreNotAnswered()
    {
        var indication = StunMessage.Parse(new StunMessageBuilder(StunMessageType.BindingIndication, StunTransactionId.New()).ToArray());
        var response = StunMessage.Parse(new StunMessageBuilder(StunMessageType.BindingSuccess, StunTransactionId.New()).ToArray());

        Assert.False(StunBindingResponder.TryAnswer(indication, Mapped, null, out _));
        Assert.False(StunBindingResponder.TryAnswer(response, Mapped, null, out _));
    }
}
