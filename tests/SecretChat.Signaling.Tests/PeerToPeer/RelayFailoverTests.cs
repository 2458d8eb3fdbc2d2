using System.Net;
using Microsoft.Reactive.Testing;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Pseudo;
using SecretChat.Signaling.PeerToPeer;

namespace SecretChat.Signaling.Tests.PeerToPeer;

/// <summary>
/// A relayed session whose signaling server dies (issue 18): both peers rejoin at the next server of their list and the
/// session's relay moves there, with the same session, keys and relay name. In virtual time; the servers share nothing.
/// </summary>
public sealed class RelayFailoverTests : IDisposable
{
    private const long Ms = TimeSpan.TicksPerMillisecond;
    private static readonly IPEndPoint A = VirtualInternet.Server;
    private static readonly IPEndPoint B = IPEndPoint.Parse("192.0.2.2:3478");
    private static readonly IPEndPoint AliceHost = IPEndPoint.Parse("192.168.1.2:40000");
    private static readonly IPEndPoint AlicePublic = IPEndPoint.Parse("198.51.100.1:50000");
    private static readonly IPEndPoint BobHost = IPEndPoint.Parse("192.168.7.3:41000");
    private static readonly IPEndPoint BobPublic = IPEndPoint.Parse("203.0.113.5:51000");
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    private readonly TestScheduler _scheduler = new();
    private readonly VirtualInternet _internet;

    public RelayFailoverTests() => _internet = new VirtualInternet(_scheduler, B);

    public void Dispose() => _internet.Dispose();

    [Fact]
    public async Task RelayedSession_ItsServerDies_BothRejoinTheNextAndTheSessionGoesOnThroughIt()
    {
        var aliceSocket = _internet.Attach(AliceHost, AlicePublic, [A, B]);
        var bobSocket = _internet.Attach(BobHost, BobPublic, [A, B]);
        await using var alice = new PunchAttempt(aliceSocket, _scheduler, PeerToPeerOptions.Default);
        await using var bob = new PunchAttempt(bobSocket, _scheduler, PeerToPeerOptions.Default);
        var bobMeets = bob.MeetAsync("blue-otter", null, CancellationToken.None);
        _scheduler.AdvanceBy(1 * Ms);
        var aliceMeets = alice.MeetAsync("blue-otter", null, CancellationToken.None);
        _scheduler.AdvanceBy(100 * Ms);
        await Task.WhenAll(aliceMeets, bobMeets).WaitAsync(WaitLimit);
        _internet.Blocks = (from, to) => IsPeer(from) && IsPeer(to); // no direct path: only the relay
        var bobPunch = bob.PunchAsync(new PseudoSecurity(), bob.Match!, DatagramChannelOptions.Default, null, CancellationToken.None);
        var alicePunch = alice.PunchAsync(new PseudoSecurity(), alice.Match!, DatagramChannelOptions.Default, null, CancellationToken.None);
        for (var t = 0; t < 3000 && !(alicePunch.IsCompleted && bobPunch.IsCompleted); t += 10)
            _scheduler.AdvanceBy(10 * Ms);
        var (aliceSession, bobSession) = (await alicePunch.WaitAsync(WaitLimit), await bobPunch.WaitAsync(WaitLimit));
        Assert.True(aliceSession.Relayed);
        var heard = new List<string>();
        using var listening = aliceSession.Channel.Payloads.Subscribe(p => heard.Add(System.Text.Encoding.UTF8.GetString(p.Span)));
        _ = bobSession.Channel.SendAsync("through A"u8.ToArray());
        _scheduler.AdvanceBy(100 * Ms);
        Assert.Equal(["through A"], heard);

        // A dies: nothing reaches it or leaves it any more.
        _internet.Blocks = (from, to) => (IsPeer(from) && IsPeer(to)) || from.Equals(A) || to.Equals(A);
        _scheduler.AdvanceBy(16_000 * Ms);

        Assert.Equal(B, aliceSocket.Rendezvous.Server);
        Assert.Equal(B, bobSocket.Rendezvous.Server);
        _ = bobSession.Channel.SendAsync("through B"u8.ToArray());
        _scheduler.AdvanceBy(100 * Ms);
        Assert.Equal(["through A", "through B"], heard);
        Assert.Equal(A, aliceSession.Channel.RemoteEndPoint); // the relay's name for the session never changed
        Assert.Contains(_internet.Sent, s => s.From.Equals(B) && s.To.Equals(AlicePublic) && s.Bytes[0] == (byte)SignalingPacketType.Relayed);
        Assert.Equal(0, aliceSocket.ForgedRelayDropped);
    }

    private static bool IsPeer(IPEndPoint address) => address.Equals(AlicePublic) || address.Equals(BobPublic);
}
