using System.Net;
using System.Text;
using Microsoft.Reactive.Testing;
using SecretChat.Tests;
using SecretChat.Transport.Stun;
using SecretChat.Transport.Turn;

namespace SecretChat.Transport.Tests.Turn;

/// <summary>Our TURN client against coturn's turnserver as a relay with the shared-secret scheme, on loopback.</summary>
public class CoturnTurnTests
{
    private const string Secret = "north-wind-secret";

    private static TurnCredentials Credentials(string secret = Secret, string name = "alice", TimeSpan? validFor = null) =>
        TurnCredentials.FromSharedSecret(secret, name, DateTimeOffset.UtcNow + (validFor ?? TimeSpan.FromHours(1)));

    [CoturnFact]
    public async Task TurnClient_TwoClientsThroughCoturn_ExchangeDatagramsBothWaysByIndicationsThenChannelData()
    {
        await using var turnserver = TurnServerProcess.StartRelay(Secret);
        await using var a = new TurnSocket(turnserver.EndPoint, Credentials(name: "alice"));
        await using var b = new TurnSocket(turnserver.EndPoint, Credentials(name: "bob"));

        // The RFC retransmission schedule also covers turnserver's start-up: early requests are simply lost.
        var relayA = await a.Client.AllocateAsync().WaitAsync(Timeouts.Startup + Timeouts.Startup);
        var relayB = await b.Client.AllocateAsync().WaitAsync(Timeouts.Startup);
        Assert.Equal(IPAddress.Loopback, relayA.Address);
        Assert.NotEqual(relayA, relayB);
        Assert.Equal(relayA, a.Client.RelayedAddress);
        Assert.Equal(a.LocalEndPoint, a.Client.MappedAddress);

        // Permissions only: Send indications out, Data indications in.
        await a.Client.PermitAsync(relayB, bindChannel: false, CancellationToken.None).WaitAsync(Timeouts.Default);
        await b.Client.PermitAsync(relayA, bindChannel: false, CancellationToken.None).WaitAsync(Timeouts.Default);
        await a.Client.SendAsync(Encoding.UTF8.GetBytes("a to b, indicated"), relayB);
        Assert.Equal((relayA, "a to b, indicated"), Text(await b.ReceiveAsync(Timeouts.Default)));
        await b.Client.SendAsync(Encoding.UTF8.GetBytes("b to a, indicated"), relayA);
        Assert.Equal((relayB, "b to a, indicated"), Text(await a.ReceiveAsync(Timeouts.Default)));
        Assert.Equal(0, a.SentChannelData + a.ReceivedChannelData + b.SentChannelData + b.ReceivedChannelData);

        // Channels bound: ChannelData both ways.
        await a.Client.PermitAsync(relayB).WaitAsync(Timeouts.Default);
        await b.Client.PermitAsync(relayA).WaitAsync(Timeouts.Default);
        for (var i = 0; i < 20; i++)
        {
            await a.Client.SendAsync(Encoding.UTF8.GetBytes($"a to b #{i}"), relayB);
            Assert.Equal((relayA, $"a to b #{i}"), Text(await b.ReceiveAsync(Timeouts.Default)));
            await b.Client.SendAsync(Encoding.UTF8.GetBytes($"b to a #{i}"), relayA);
            Assert.Equal((relayB, $"b to a #{i}"), Text(await a.ReceiveAsync(Timeouts.Default)));
        }

        Assert.Equal(20, a.SentChannelData);
        Assert.Equal(20, b.SentChannelData);
        Assert.Equal(20, a.ReceivedChannelData);
        Assert.Equal(20, b.ReceivedChannelData);
        Assert.Equal(0, a.Client.DroppedDatagrams + b.Client.DroppedDatagrams);
        Assert.Equal(0, a.NotConsumed + b.NotConsumed);
    }

    [CoturnFact]
    public async Task TurnClient_RefreshesInVirtualTimeAgainstCoturn_AreAcceptedAndTheChannelsStillCarry()
    {
        await using var turnserver = TurnServerProcess.StartRelay(Secret);
        await using (var probe = UdpStunClient.Bind(new IPEndPoint(IPAddress.Loopback, 0)))
            await probe.BindAsync(turnserver.EndPoint).WaitAsync(Timeouts.Startup + Timeouts.Startup); // turnserver is up

        // a's timers run on a virtual clock (its requests are not retransmitted unless the test moves it; loopback
        // loses nothing), so ten minutes of refreshes take no time; b runs in real time.
        var scheduler = new TestScheduler();
        var alice = Credentials(name: "alice");
        await using var a = new TurnSocket(turnserver.EndPoint, alice, scheduler: scheduler);
        await using var b = new TurnSocket(turnserver.EndPoint, Credentials(name: "bob"));
        var relayA = await a.Client.AllocateAsync().WaitAsync(Timeouts.Default);
        var relayB = await b.Client.AllocateAsync().WaitAsync(Timeouts.Default);
        await a.Client.PermitAsync(relayB).WaitAsync(Timeouts.Default);
        await b.Client.PermitAsync(relayA).WaitAsync(Timeouts.Default);

        foreach (var seconds in new[] { 240, 480, 540, 720 })
        {
            scheduler.AdvanceTo(TimeSpan.FromSeconds(seconds).Ticks);
            await a.Client.RefreshesSettled.WaitAsync(Timeouts.Default);
        }

        Assert.False(a.Client.Lost.IsCompleted);
        var log = turnserver.Log.Split('\n').Where(line => line.Contains($"user <{alice.Username}>", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, log.Count(line => line.Contains("CREATE_PERMISSION processed, success", StringComparison.Ordinal))); // 0, 240, 480, 720 s
        Assert.Equal(2, log.Count(line => line.Contains("CHANNEL_BIND processed, success", StringComparison.Ordinal))); // 0, 480 s
        Assert.Equal(1, log.Count(line => line.Contains("REFRESH processed, success", StringComparison.Ordinal))); // 540 s
        await a.Client.SendAsync(Encoding.UTF8.GetBytes("after the refreshes"), relayB);
        Assert.Equal((relayA, "after the refreshes"), Text(await b.ReceiveAsync(Timeouts.Default)));
        await b.Client.SendAsync(Encoding.UTF8.GetBytes("still here"), relayA);
        Assert.Equal((relayB, "still here"), Text(await a.ReceiveAsync(Timeouts.Default)));
        Assert.Equal(0, a.Client.DroppedDatagrams);
    }

    [CoturnFact]
    public async Task TurnClient_DisposedAgainstCoturn_DeallocatesWithLifetimeZeroAndTheServerConfirms()
    {
        await using var turnserver = TurnServerProcess.StartRelay(Secret);
        var credentials = Credentials();
        await using var socket = new TurnSocket(turnserver.EndPoint, credentials);
        await socket.Client.AllocateAsync().WaitAsync(Timeouts.Startup + Timeouts.Startup);
        Assert.DoesNotContain("lifetime=0", turnserver.Log, StringComparison.Ordinal);

        await socket.Client.DisposeAsync();

        Assert.True(socket.Client.DeallocationConfirmed);
        Assert.Null(await socket.Client.Lost.WaitAsync(Timeouts.Default));
        // coturn logs the Refresh that ended the allocation (it closes the relayed port a little later, on its own timer).
        Assert.Contains($"refreshed, realm=<{turnserver.Realm}>, username=<{credentials.Username}>, lifetime=0", turnserver.Log, StringComparison.Ordinal);
    }

    [CoturnFact]
    public async Task TurnClient_SecondAllocationFromTheSameSocketAgainstCoturn_RefusedWith437Sentence()
    {
        await using var turnserver = TurnServerProcess.StartRelay(Secret);
        await using var socket = new TurnSocket(turnserver.EndPoint, Credentials());
        await socket.Client.AllocateAsync().WaitAsync(Timeouts.Startup + Timeouts.Startup);
        var first = socket.Client;

        var second = socket.Replace(turnserver.EndPoint, Credentials());
        var error = await Assert.ThrowsAsync<TurnException>(() => second.AllocateAsync().WaitAsync(Timeouts.Default));

        Assert.Equal(StunErrorCode.AllocationMismatch, error.Error?.Code);
        Assert.StartsWith($"the TURN server at {turnserver.EndPoint} refused the allocation: ", error.Message);
        await first.DisposeAsync();
    }

    [CoturnFact]
    public async Task TurnClient_ExpiredCredentialAgainstCoturn_RefusedWithTheExpirySentence()
    {
        await using var turnserver = TurnServerProcess.StartRelay(Secret);
        var expired = TurnCredentials.FromSharedSecret(Secret, "alice", DateTimeOffset.UtcNow - TimeSpan.FromMinutes(5));
        await using var socket = new TurnSocket(turnserver.EndPoint, expired);

        var error = await Assert.ThrowsAsync<TurnException>(() => socket.Client.AllocateAsync().WaitAsync(Timeouts.Startup + Timeouts.Startup));

        Assert.Equal(
            $"the TURN server at {turnserver.EndPoint} refused the credentials: they expired at {expired.ExpiresAt!.Value.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC",
            error.Message);
        Assert.True(error.IsCredentialRefusal);
    }

    /// <summary>
    /// What coturn does with an allocation whose shared-secret credentials have expired: it keeps refreshing it. The
    /// expiry in <c>expiry:name</c> is checked when the allocation is made (see the test above), not on its Refresh,
    /// even after a stale nonce (438) made the client sign again with a new one.
    /// </summary>
    [CoturnFact]
    public async Task TurnClient_RefreshAfterTheCredentialsExpiredAgainstCoturn_AcceptedEvenAfterAStaleNonce()
    {
        await using var turnserver = TurnServerProcess.StartRelay(Secret, staleNonce: 1);
        await using (var probe = UdpStunClient.Bind(new IPEndPoint(IPAddress.Loopback, 0)))
            await probe.BindAsync(turnserver.EndPoint).WaitAsync(Timeouts.Startup + Timeouts.Startup); // turnserver is up
        var scheduler = new TestScheduler();
        var shortLived = TurnCredentials.FromSharedSecret(Secret, "alice", DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2));
        await using var socket = new TurnSocket(turnserver.EndPoint, shortLived, scheduler: scheduler);
        await socket.Client.AllocateAsync().WaitAsync(Timeouts.Default);

        // coturn reads the expiry in the user name against its own (real) clock: let it pass (and the nonce go stale),
        // then refresh in virtual time.
        var untilExpired = shortLived.ExpiresAt!.Value - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1.1);
        if (untilExpired > TimeSpan.Zero)
            await Task.Delay(untilExpired);
        scheduler.AdvanceBy(TimeSpan.FromSeconds(540).Ticks);
        await socket.Client.RefreshesSettled.WaitAsync(Timeouts.Default);

        Assert.False(socket.Client.Lost.IsCompleted, turnserver.Log);
        var log = turnserver.Log;
        Assert.Contains("error 438: Stale nonce", log, StringComparison.Ordinal);
        Assert.Contains($"user <{shortLived.Username}>: incoming packet REFRESH processed, success", log, StringComparison.Ordinal);
    }

    /// <summary>
    /// Why a renewed credential cannot simply start a second allocation on the session's socket: coturn still holds the
    /// 5-tuple right after confirming the deallocation.
    /// </summary>
    [CoturnFact]
    public async Task TurnClient_AllocatedRightAfterDeallocatingOnTheSameSocketAgainstCoturn_RefusedWith437()
    {
        await using var turnserver = TurnServerProcess.StartRelay(Secret);
        await using var socket = new TurnSocket(turnserver.EndPoint, Credentials(name: "alice"));
        await socket.Client.AllocateAsync().WaitAsync(Timeouts.Startup + Timeouts.Startup);
        await socket.Client.DisposeAsync();
        Assert.True(socket.Client.DeallocationConfirmed);

        var renewed = Credentials(name: "alice", validFor: TimeSpan.FromHours(2));
        var error = await Assert.ThrowsAsync<TurnException>(() => socket.Replace(turnserver.EndPoint, renewed).AllocateAsync().WaitAsync(Timeouts.Default));

        Assert.Equal(StunErrorCode.AllocationMismatch, error.Error?.Code);
    }

    [CoturnFact]
    public async Task TurnClient_WrongSecretAgainstCoturn_RefusedWithTheWrongPasswordSentence()
    {
        await using var turnserver = TurnServerProcess.StartRelay(Secret);
        await using var socket = new TurnSocket(turnserver.EndPoint, Credentials(secret: "not-the-secret"));

        var error = await Assert.ThrowsAsync<TurnException>(() => socket.Client.AllocateAsync().WaitAsync(Timeouts.Startup + Timeouts.Startup));

        Assert.Equal(
            $"the TURN server at {turnserver.EndPoint} refused the credentials: wrong username or password: check --turn-secret-file matches the server's static-auth-secret",
            error.Message);
        Assert.Equal(StunErrorCode.Unauthenticated, error.Error?.Code);
    }

    [CoturnFact]
    public async Task TurnClient_OverTheUserQuotaAgainstCoturn_RefusedWithTheQuotaSentence()
    {
        await using var turnserver = TurnServerProcess.StartRelay(Secret, userQuota: 1);
        var credentials = Credentials();
        await using var first = new TurnSocket(turnserver.EndPoint, credentials);
        await using var second = new TurnSocket(turnserver.EndPoint, credentials);
        await first.Client.AllocateAsync().WaitAsync(Timeouts.Startup + Timeouts.Startup);

        var error = await Assert.ThrowsAsync<TurnException>(() => second.Client.AllocateAsync().WaitAsync(Timeouts.Default));

        Assert.Equal(
            $"the TURN server at {turnserver.EndPoint} refused the allocation: this user has reached the server's allocation quota (486)",
            error.Message);
    }

    private static (IPEndPoint, string) Text((IPEndPoint Peer, byte[] Payload) delivery) =>
        (delivery.Peer, Encoding.UTF8.GetString(delivery.Payload));
}
