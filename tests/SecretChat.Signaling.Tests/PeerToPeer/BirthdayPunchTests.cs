using System.Net;
using System.Reactive.Disposables;
using System.Reactive.Subjects;
using Microsoft.Reactive.Testing;
using SecretChat.Signaling.PeerToPeer;
using SecretChat.Transport;
using SecretChat.Transport.Udp;

namespace SecretChat.Signaling.Tests.PeerToPeer;

/// <summary>The birthday punch's two sides in virtual time: what each sends, to whom, how much, and when its sockets close.</summary>
public sealed class BirthdayPunchTests
{
    private const long Ms = TimeSpan.TicksPerMillisecond;
    private static readonly IPEndPoint EasyPeer = IPEndPoint.Parse("198.51.100.11:40000");
    private static readonly IPAddress HardPeer = IPAddress.Parse("192.0.2.12");
    private static readonly PeerToPeerOptions Defaults = PeerToPeerOptions.Default;

    private readonly TestScheduler _scheduler = new();
    private readonly List<FakeSocket> _sockets = [];

    [Fact]
    public void Defaults_MissOneAttemptInThousandsAndBoundItToAFewThousandPackets()
    {
        Assert.Equal(256, Defaults.BirthdaySockets);
        Assert.Equal(2048, Defaults.BirthdayProbes);
        // Odds of a hit with 256 open ports among 64,512 and 2,048 distinct probes: 1 - C(64512-256, 2048) / C(64512, 2048).
        var miss = 1.0;
        for (var i = 0; i < Defaults.BirthdayProbes; i++)
            miss *= (64512.0 - Defaults.BirthdaySockets - i) / (64512.0 - i);
        Assert.InRange(1 - miss, 0.9995, 1);
        var budget = (Defaults.BirthdaySockets * Defaults.BirthdayPunchRounds) + (2 * Defaults.BirthdayProbes) + BirthdayPunch.HitProbes;
        Assert.InRange(budget, 1, 5000); // echoes included: at most one per probe
    }

    [Fact]
    public void HardSide_DefaultSettings_OpensEverySocketAndPunchesOnlyTheEasyPeerEachRound()
    {
        using var hard = HardSide();

        hard.Start();
        _scheduler.AdvanceBy(60_000 * Ms);

        Assert.Equal(256, hard.Opened);
        Assert.Equal(256 * 3, hard.PacketsSent);
        Assert.All(_sockets, s => Assert.Equal(3, s.Sent.Count));
        Assert.All(_sockets.SelectMany(s => s.Sent), sent =>
        {
            Assert.Equal(EasyPeer, sent.To);
            Assert.Equal(PeerDatagrams.Probe, sent.Datagram);
        });
    }

    [Fact]
    public void HardSide_PunchRounds_GoOutAtTheIntervalStartingNow()
    {
        using var hard = HardSide();

        hard.Start();
        _scheduler.AdvanceBy(1);
        var first = hard.PacketsSent;
        _scheduler.AdvanceBy((1000 * Ms) - 2);
        var beforeSecond = hard.PacketsSent;
        _scheduler.AdvanceBy(2);

        Assert.Equal((256, 256, 512), (first, beforeSecond, hard.PacketsSent));
    }

    [Fact]
    public void HardSide_NoHitWithinTheWindow_ClosesEverySocket()
    {
        using var hard = HardSide();
        hard.Start();

        _scheduler.AdvanceBy(Defaults.BirthdayWindow.Ticks - 1);
        Assert.All(_sockets, s => Assert.False(s.Closed));
        _scheduler.AdvanceBy(1);

        Assert.All(_sockets, s => Assert.True(s.Closed));
        Assert.Equal(0, hard.OpenSockets);
    }

    [Fact]
    public void HardSide_DatagramFromAStranger_IsNoHitAndIsDropped()
    {
        var hits = new List<BirthdaySocket>();
        var heard = 0;
        using var hard = HardSide(hits.Add, () => heard++);
        hard.Start();

        _sockets[7].Inbound.OnNext(new Datagram(IPEndPoint.Parse("198.51.100.11:40001"), PeerDatagrams.Probe));
        _sockets[8].Inbound.OnNext(new Datagram(IPEndPoint.Parse("203.0.113.66:40000"), PeerDatagrams.Probe));

        Assert.Empty(hits);
        Assert.Equal(0, heard);
        Assert.Equal(2, hard.Strangers);
    }

    [Fact]
    public void HardSide_HitThenKeep_ReportsTheSocketOnceClosesTheOthersAndStopsPunching()
    {
        var hits = new List<BirthdaySocket>();
        var heard = 0;
        using var hard = HardSide(hits.Add, () => heard++);
        hard.Start();
        _scheduler.AdvanceBy(1);

        _sockets[42].Inbound.OnNext(new Datagram(EasyPeer, PeerDatagrams.Probe));
        _sockets[42].Inbound.OnNext(new Datagram(EasyPeer, PeerDatagrams.Probe));
        hard.Keep(hits[0]);
        _scheduler.AdvanceBy(60_000 * Ms);

        Assert.Equal([_sockets[42].Socket], hits);
        Assert.Equal(2, heard);
        Assert.Equal(256, hard.PacketsSent); // the first round only
        Assert.All(_sockets.Where((_, i) => i != 42), s => Assert.True(s.Closed));
        Assert.False(_sockets[42].Closed); // outlives the window: it carries the session now
        hard.CloseKept();
        Assert.True(_sockets[42].Closed);
    }

    [Fact]
    public void HardSide_SystemRunsOutOfSockets_PunchesWithThoseItGot()
    {
        var opened = 0;
        using var hard = new BirthdayHardSide(EasyPeer, () => ++opened > 100 ? throw new System.Net.Sockets.SocketException(24) : Open(), _scheduler, Defaults, _ => { }, (_, _, _) => { });

        hard.Start();
        _scheduler.AdvanceBy(60_000 * Ms);

        Assert.Equal(100, hard.Opened);
        Assert.Equal(300, hard.PacketsSent);
        Assert.All(_sockets, s => Assert.True(s.Closed));
    }

    [Fact]
    public void HardSide_Dispose_ClosesEverySocketAndStopsPunching()
    {
        var hard = HardSide();
        hard.Start();
        _scheduler.AdvanceBy(1);

        hard.Dispose();
        _scheduler.AdvanceBy(60_000 * Ms);

        Assert.Equal(256, hard.PacketsSent);
        Assert.All(_sockets, s => Assert.True(s.Closed));
    }

    [Fact]
    public void EasySide_DefaultRate_Probes250DistinctPortsASecondOfThePeersAddressOnly()
    {
        var sent = new List<(byte[] Datagram, IPEndPoint To)>();
        using var easy = new BirthdayEasySide(HardPeer, Recorder(sent), _scheduler, Defaults, new Random(19));

        easy.Start();
        _scheduler.AdvanceBy(1000 * Ms);

        Assert.InRange(sent.Count, 250, 255); // a batch every 20 ms, the first at once
        Assert.All(sent, s =>
        {
            Assert.Equal(HardPeer, s.To.Address);
            Assert.InRange(s.To.Port, BirthdayEasySide.FirstPort, BirthdayEasySide.LastPort);
            Assert.Equal(PeerDatagrams.Probe, s.Datagram);
        });
        Assert.Equal(sent.Count, sent.Select(s => s.To.Port).Distinct().Count());
    }

    [Fact]
    public void EasySide_Budget_StopsAfterBirthdayProbesEachPortOnce()
    {
        var sent = new List<(byte[] Datagram, IPEndPoint To)>();
        using var easy = new BirthdayEasySide(HardPeer, Recorder(sent), _scheduler, Defaults, new Random(19));

        easy.Start();
        _scheduler.AdvanceBy(600_000 * Ms);

        Assert.Equal(2048, sent.Count);
        Assert.Equal(2048, sent.Select(s => s.To.Port).Distinct().Count());
        Assert.True(easy.Stopped);
    }

    [Fact]
    public void EasySide_PunchFromAProbedPort_AnsweredOnceToThatPortOnly()
    {
        var sent = new List<(byte[] Datagram, IPEndPoint To)>();
        using var easy = new BirthdayEasySide(HardPeer, Recorder(sent), _scheduler, Defaults, new Random(19));
        easy.Start();
        _scheduler.AdvanceBy(100 * Ms);
        var probed = sent[3].To.Port;
        var unprobed = Enumerable.Range(BirthdayEasySide.FirstPort, 1000).First(p => sent.All(s => s.To.Port != p));
        var probes = sent.Count;

        easy.Echo(new IPEndPoint(HardPeer, probed));
        easy.Echo(new IPEndPoint(HardPeer.MapToIPv6(), probed)); // the same port, as a dual-stack socket sees it
        easy.Echo(new IPEndPoint(HardPeer, unprobed));
        easy.Echo(new IPEndPoint(IPAddress.Parse("192.0.2.99"), probed));

        var echoes = sent.Skip(probes).ToList();
        var echo = Assert.Single(echoes);
        Assert.Equal(new IPEndPoint(HardPeer, probed), echo.To);
        Assert.Equal(PeerDatagrams.Probe, echo.Datagram);
        Assert.Equal(probes + 1, easy.PacketsSent);
    }

    [Fact]
    public void EasySide_PunchAfterTheBudgetIsSpent_StillAnsweredButNotAfterDispose()
    {
        var sent = new List<(byte[] Datagram, IPEndPoint To)>();
        var easy = new BirthdayEasySide(HardPeer, Recorder(sent), _scheduler, Defaults with { BirthdayProbes = 10 }, new Random(19));
        easy.Start();
        _scheduler.AdvanceBy(10_000 * Ms);
        Assert.True(easy.Stopped);

        easy.Echo(new IPEndPoint(HardPeer, sent[0].To.Port));
        Assert.Equal(11, sent.Count);

        easy.Dispose();
        easy.Echo(new IPEndPoint(HardPeer, sent[1].To.Port));
        Assert.Equal(11, sent.Count);
    }

    [Theory] // 1 none, 2 one port for every destination, 3 a port per destination
    [InlineData(2, 3, true)]
    [InlineData(3, 2, true)]
    [InlineData(1, 3, false)] // the public side's open filter lets the punch in from any port: peer-reflexive
    [InlineData(3, 1, false)]
    [InlineData(2, 2, false)] // plain punching meets
    [InlineData(3, 3, false)] // nothing meets: the fallback keeps its own time
    [InlineData(0, 3, false)]
    public void AdvisesRelay_TheTwoMappings_OnlyWhenPlainPunchingCannotMeet(byte local, byte peer, bool advised) =>
        Assert.Equal(advised, BirthdayPunch.AdvisesRelay(
            BirthdayPunch.RoleOf((NatMappingKind)local, (NatMappingKind)peer), (NatMappingKind)local, (NatMappingKind)peer));

    [Fact]
    public void EasySide_Dispose_StopsProbing()
    {
        var sent = new List<(byte[] Datagram, IPEndPoint To)>();
        var easy = new BirthdayEasySide(HardPeer, Recorder(sent), _scheduler, Defaults, new Random(19));
        easy.Start();
        _scheduler.AdvanceBy(100 * Ms);
        var before = sent.Count;

        easy.Dispose();
        _scheduler.AdvanceBy(10_000 * Ms);

        Assert.Equal(before, sent.Count);
        Assert.InRange(before, 25, 30);
    }

    [Fact]
    public void BothSides_DefaultSettingsWithNoHit_SendAtMost2900PacketsInAll()
    {
        var sent = new List<(byte[] Datagram, IPEndPoint To)>();
        using var hard = HardSide();
        using var easy = new BirthdayEasySide(HardPeer, Recorder(sent), _scheduler, Defaults, new Random(19));

        hard.Start();
        easy.Start();
        _scheduler.AdvanceBy(600_000 * Ms);

        var all = hard.PacketsSent + sent.Count;
        Assert.Equal(_sockets.Sum(s => s.Sent.Count), hard.PacketsSent);
        Assert.Equal((256 * 3) + 2048, all);
        Assert.InRange(all, 1, 2900);
    }

    [Theory]
    [InlineData(3, 2, "Hard")]
    [InlineData(3, 1, "Hard")]
    [InlineData(2, 3, "Easy")]
    [InlineData(1, 3, "Easy")]
    [InlineData(3, 3, "None")]
    [InlineData(2, 2, "None")]
    [InlineData(3, 0, "None")]
    [InlineData(0, 3, "None")]
    public void RoleOf_TheTwoMappings_OnlyEasyAgainstHardPunches(byte local, byte peer, string role) =>
        Assert.Equal(role, BirthdayPunch.RoleOf((NatMappingKind)local, (NatMappingKind)peer).ToString());

    private BirthdayHardSide HardSide(Action<BirthdaySocket>? hit = null, Action? heard = null) =>
        new(EasyPeer, Open, _scheduler, Defaults, hit ?? (_ => { }), (_, _, _) => heard?.Invoke());

    private BirthdaySocket Open()
    {
        var socket = new FakeSocket();
        _sockets.Add(socket);
        return socket.Socket;
    }

    private static SendDatagram Recorder(List<(byte[] Datagram, IPEndPoint To)> sent) => (datagram, to, _) =>
    {
        sent.Add((datagram.ToArray(), to));
        return ValueTask.CompletedTask;
    };

    private sealed class FakeSocket
    {
        public FakeSocket() => Socket = new BirthdaySocket(Inbound, Recorder(Sent), Disposable.Create(() => Closed = true));

        public Subject<Datagram> Inbound { get; } = new();

        public List<(byte[] Datagram, IPEndPoint To)> Sent { get; } = [];

        public bool Closed { get; private set; }

        public BirthdaySocket Socket { get; }
    }
}
