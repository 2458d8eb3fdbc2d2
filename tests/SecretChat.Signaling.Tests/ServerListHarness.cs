using System.Net;
using Microsoft.Reactive.Testing;

namespace SecretChat.Signaling.Tests;

/// <summary>A <see cref="RendezvousClient"/> of several servers in virtual time, each server played by hand: what went where, and when.</summary>
internal sealed class ServerListHarness : IDisposable
{
    public static readonly IPEndPoint Me = new(IPAddress.Parse("198.51.100.9"), 41000);
    public static readonly IPEndPoint Peer = new(IPAddress.Parse("203.0.113.9"), 52000);
    public static readonly MemberToken Token = new(0x5EC2E7, 0x70CE2);
    public static readonly PeerId OtherPeer = new(7);

    public ServerListHarness(params IPEndPoint[] servers)
    {
        Client = new RendezvousClient(
            servers,
            (bytes, to, _) =>
            {
                Sent.Add((Scheduler.Clock, to, SignalingCodec.Decode(bytes.Span)));
                return ValueTask.CompletedTask;
            },
            Scheduler);
        Client.Relayed.Subscribe(payload => Relayed.Add(payload.ToArray()));
        Client.RelayNotices.Subscribe(Notices.Add);
    }

    public TestScheduler Scheduler { get; } = new();

    public RendezvousClient Client { get; }

    public List<(long Ticks, IPEndPoint To, SignalingPacket Packet)> Sent { get; } = [];

    public List<byte[]> Relayed { get; } = [];

    public List<string> Notices { get; } = [];

    /// <summary>Offers <paramref name="packet"/> as if <paramref name="from"/> sent it; true when the client took it as signaling from its server.</summary>
    public bool From(IPEndPoint from, SignalingPacket packet) => Client.TryHandle(SignalingCodec.Encode(packet), from);

    /// <summary>Registers in <paramref name="room"/> and has <paramref name="server"/> introduce the peer at once.</summary>
    public async Task<PeerMatch> MatchedAtAsync(IPEndPoint server, string room = "x", MemberToken? token = null)
    {
        var task = Client.RegisterAsync(room, []);
        Assert.True(From(server, new PeerInfoPacket(Client.PeerId, token ?? Token, PeerRole.Initiator, TimeSpan.Zero, Me, OtherPeer, Peer, [])));
        return await task;
    }

    /// <summary>Asserts a rejoin: a Register for <paramref name="room"/> with our id and <paramref name="token"/>, sent to <paramref name="server"/>.</summary>
    public void AssertRejoin((IPEndPoint To, SignalingPacket Packet) sent, IPEndPoint server, string room, MemberToken token)
    {
        Assert.Equal(server, sent.To);
        var register = Assert.IsType<RegisterPacket>(sent.Packet);
        Assert.Equal((room, Client.PeerId, token), (register.Room, register.Peer, register.Token));
        Assert.Empty(register.HostCandidates);
    }

    public void At(double seconds) => Scheduler.AdvanceTo(TimeSpan.FromSeconds(seconds).Ticks);

    /// <summary>What was sent since <paramref name="seconds"/> (inclusive).</summary>
    public IEnumerable<(double Seconds, IPEndPoint To, SignalingPacket Packet)> SentSince(double seconds) =>
        Sent.Where(s => s.Ticks >= TimeSpan.FromSeconds(seconds).Ticks).Select(s => (TimeSpan.FromTicks(s.Ticks).TotalSeconds, s.To, s.Packet));

    public void Dispose() => Client.Dispose();
}
