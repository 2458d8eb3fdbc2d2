using SecretChat.Tests;
using System.Buffers;
using System.Diagnostics;
using System.Net;
using Microsoft.Reactive.Testing;
using SecretChat.Security;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Security.Pseudo;
using SecretChat.Security.Rsa;
using SecretChat.Transport.Reliability;
using SecretChat.Transport.Simulation;
using Xunit.Abstractions;

namespace SecretChat.Security.Tests.Datagrams;

/// <summary>
/// The whole UDP session — real handshakes, sealed datagrams, replay window and the reliability engine —
/// over a seeded bad link in virtual time, for every encryption mode.
/// </summary>
[Collection(SoakCollection.Name)]
public class SealedUdpSessionTests(ITestOutputHelper output)
{
    private static readonly IPEndPoint AliceAddress = new(IPAddress.Parse("192.0.2.1"), 40000);
    private static readonly IPEndPoint BobAddress = new(IPAddress.Parse("198.51.100.2"), 3478);

    private static readonly SimulatedLinkOptions BadLink = new()
    {
        Seed = 2026,
        Delay = TimeSpan.FromMilliseconds(20),
        Jitter = TimeSpan.FromMilliseconds(5),
        LossRate = 0.20,
        DuplicationRate = 0.05,
        ReorderRate = 0.10,
        ReorderDelay = TimeSpan.FromMilliseconds(40),
    };

    public static TheoryData<string> Modes => new() { "noise", "rsa", "pseudo" };

    private static List<byte[]> Fitted(List<byte[]> messages) =>
        [.. messages.Select(m => m.Length > TransportLimits.MaxMessageSize ? m[..TransportLimits.MaxMessageSize] : m)];

    [Theory]
    [MemberData(nameof(Modes))]
    public void TenThousandMixedMessages_OverTwentyPercentLoss_ArriveInOrderExactlyOnce(string mode)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        using var pair = new SealedPair(mode, BadLink);
        Assert.True(pair.RunUntil(() => pair.Alice.Established.IsCompleted && pair.Bob.Established.IsCompleted, TimeSpan.FromSeconds(30)),
            "the handshake did not complete over the lossy link");
        Assert.True(pair.Alice.Established.IsCompletedSuccessfully, pair.Alice.Established.Exception?.Message);

        // The largest messages of the mix (64 KiB) become the largest a secure channel carries (65,519 bytes).
        var toBob = Fitted(TestMessages.Mixed(10_000, seed: 1));
        var toAlice = Fitted(TestMessages.Mixed(500, seed: 2));
        var feedAlice = new MessageFeeder(m => pair.Alice.SendAsync(m), toBob);
        var feedBob = new MessageFeeder(m => pair.Bob.SendAsync(m), toAlice);
        var delivered = pair.RunUntil(() =>
        {
            feedAlice.Pump();
            feedBob.Pump();
            return pair.ReceivedByBob.Count == toBob.Count && pair.ReceivedByAlice.Count == toAlice.Count;
        }, TimeSpan.FromHours(2));

        Assert.Null(pair.AliceError);
        Assert.Null(pair.BobError);
        Assert.True(delivered, $"bob has {pair.ReceivedByBob.Count}/{toBob.Count}, alice {pair.ReceivedByAlice.Count}/{toAlice.Count}");
        TestMessages.AssertSameSequence(toBob, pair.ReceivedByBob);
        TestMessages.AssertSameSequence(toAlice, pair.ReceivedByAlice);
        Assert.True(pair.Link.Statistics.Lost > 0 && pair.Link.Statistics.Duplicated > 0 && pair.Link.Statistics.Reordered > 0);
        Assert.True(pair.AliceChannel.Datagrams.Dropped(DatagramDropReason.Replayed) + pair.BobChannel.Datagrams.Dropped(DatagramDropReason.Replayed) > 0,
            "duplicated datagrams should have been stopped by the replay window");
        output.WriteLine($"{mode}: virtual {TimeSpan.FromTicks(pair.Scheduler.Clock)}, CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.00} s");
        output.WriteLine($"link {pair.Link.Statistics}");
        output.WriteLine($"alice {pair.AliceChannel.Reliability}; datagrams {pair.AliceChannel.Datagrams}");
    }

    [Fact]
    public void Session_VanishedPeer_IsReportedWithinTheDeadPeerTimeout()
    {
        using var pair = new SealedPair("noise", new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(10) });
        Assert.True(pair.RunUntil(() => pair.Alice.Established.IsCompletedSuccessfully && pair.Bob.Established.IsCompletedSuccessfully, TimeSpan.FromSeconds(5)));

        pair.Link.Cut();
        var cutAt = pair.Scheduler.Clock;
        Assert.True(pair.RunUntil(() => pair.AliceError is not null, TimeSpan.FromMinutes(2)));

        var waited = TimeSpan.FromTicks(pair.Scheduler.Clock - cutAt);
        Assert.IsType<TimeoutException>(pair.AliceError);
        Assert.InRange(waited, TimeSpan.FromSeconds(29), TimeSpan.FromSeconds(31));
    }

    [Fact]
    public void Session_SilentButConnected_KeepalivesHoldItOpen()
    {
        using var pair = new SealedPair("noise", new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(10) });
        Assert.True(pair.RunUntil(() => pair.Alice.Established.IsCompletedSuccessfully && pair.Bob.Established.IsCompletedSuccessfully, TimeSpan.FromSeconds(5)));

        pair.RunUntil(() => false, TimeSpan.FromMinutes(3));

        Assert.Null(pair.AliceError);
        Assert.Null(pair.BobError);
        Assert.True(pair.AliceChannel.Reliability.KeepAlivesSent + pair.BobChannel.Reliability.KeepAlivesSent >= 6);
    }



    /// <summary>Alice (initiator) and Bob (responder) as composed by the connector, but over a simulated link.</summary>
    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    public async Task LargestMessage_IsDelivered_AndOneByteMoreIsRefusedBeforeSending(string mode)
    {
        using var pair = new SealedPair(mode, new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(10) });
        Assert.True(pair.RunUntil(() => pair.Alice.Established.IsCompleted && pair.Bob.Established.IsCompleted, TimeSpan.FromSeconds(30)));
        Assert.Equal(TransportLimits.MaxMessageSize, pair.Alice.MaxMessageSize);
        var largest = new byte[TransportLimits.MaxMessageSize];
        Random.Shared.NextBytes(largest);

        await pair.Alice.SendAsync(largest);
        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await pair.Alice.SendAsync(new byte[TransportLimits.MaxMessageSize + 1]));
        Assert.True(pair.RunUntil(() => pair.ReceivedByBob.Count == 1, TimeSpan.FromSeconds(30)));

        Assert.Equal(largest, pair.ReceivedByBob.Single());
        Assert.Contains("65519", error.Message);
    }

    private sealed class SealedPair : IDisposable
    {
        private readonly List<IDisposable> _disposables = [];

        public SealedPair(string mode, SimulatedLinkOptions link)
        {
            Link = new SimulatedLink(Scheduler, link);
            var options = DatagramChannelOptions.Default with { HandshakeTimeout = TimeSpan.FromSeconds(30) };
            var aliceDatagrams = SecureDatagramChannel.Connect(Module(mode), BobAddress, (m, _, _) => Send(Link.A, m), options, Scheduler);
            var bobDatagrams = SecureDatagramChannel.Accept(Module(mode), (m, _, _) => Send(Link.B, m), options, Scheduler);
            AliceChannel = new ReliableDatagramChannel(aliceDatagrams, new ReliabilityOptions(), Scheduler);
            BobChannel = new ReliableDatagramChannel(bobDatagrams, new ReliabilityOptions(), Scheduler);
            _disposables.Add(AliceChannel.Messages.Subscribe(m => ReceivedByAlice.Add(m.ToArray()), e => AliceError = e));
            _disposables.Add(BobChannel.Messages.Subscribe(m => ReceivedByBob.Add(m.ToArray()), e => BobError = e));
            _disposables.Add(Link.A.Received.Subscribe(p => aliceDatagrams.Receive(BobAddress, p.Span)));
            _disposables.Add(Link.B.Received.Subscribe(p => bobDatagrams.Receive(AliceAddress, p.Span)));
        }

        public TestScheduler Scheduler { get; } = new();
        public SimulatedLink Link { get; }
        public ReliableDatagramChannel AliceChannel { get; }
        public ReliableDatagramChannel BobChannel { get; }
        public ISecureChannel Alice => AliceChannel;
        public ISecureChannel Bob => BobChannel;
        public List<byte[]> ReceivedByAlice { get; } = [];
        public List<byte[]> ReceivedByBob { get; } = [];
        public Exception? AliceError { get; private set; }
        public Exception? BobError { get; private set; }

        public bool RunUntil(Func<bool> done, TimeSpan limit)
        {
            var end = Scheduler.Clock + limit.Ticks;
            while (!done())
            {
                if (Scheduler.Clock >= end)
                    return false;
                Scheduler.AdvanceBy(TimeSpan.FromMilliseconds(5).Ticks);
            }
            return true;
        }

        public void Dispose()
        {
            foreach (var disposable in _disposables)
                disposable.Dispose();
        }

        private static ValueTask Send(SimulatedEndpoint end, ReadOnlyMemory<byte> datagram)
        {
            end.Send(datagram);
            return ValueTask.CompletedTask;
        }

        private static ISecurityModule Module(string mode) => mode switch
        {
            "noise" => new NoiseSecurity(StaticKeyPair.Generate()),
            "rsa" => new RsaSecurity(),
            _ => new PseudoSecurity(),
        };
    }
}
