using System.Net;
using System.Text;
using SecretChat.Framing.Packets;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Tests;

namespace SecretChat.Security.Tests.Datagrams;

/// <summary>
/// The hybrid's handshake messages over datagrams of at most 1,200 bytes: fragments, their retransmission and
/// reassembly, what a malformed or stray fragment costs, and the classic wire left as it was.
/// </summary>
public sealed class HandshakeFragmentTests : IDisposable
{
    private readonly StaticKeyPair _alice = StaticKeyPair.Generate();
    private readonly StaticKeyPair _bob = StaticKeyPair.Generate();

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }

    [Fact]
    public void Hybrid_LosslessLink_EstablishesInFragmentsOfAtMost1200Bytes()
    {
        var pair = new ChannelPair(new NoiseSecurity(_alice, postQuantum: true), new NoiseSecurity(_bob));
        pair.Establish();

        Assert.True(ChannelPair.SessionOf(pair.Initiator).IsPostQuantum);
        Assert.True(ChannelPair.SessionOf(pair.Responder).IsPostQuantum);
        // Within what the signaling server's relay carries between two clients (1,200 less its 28-byte wrapper).
        Assert.All(pair.Network.Log, wire => Assert.True(wire.Bytes.Length <= 1172, $"{wire.Bytes.Length} bytes"));
        // Message 1 (1,216 bytes) and message 2 (1,200 plus the payload) each go in two fragments; message 3 whole.
        var fragments = pair.Network.Log.Where(IsFragment).ToList();
        Assert.Equal(2, fragments.Count(w => w.From.Equals(ChannelPair.A)));
        Assert.Equal(2, fragments.Count(w => w.From.Equals(ChannelPair.B)));
        Assert.All(fragments, w => Assert.Equal(2, w.Bytes[7]));
        pair.SendFromInitiator("hello after fragments");
        pair.Run(TimeSpan.FromMilliseconds(50));
        Assert.Equal(["hello after fragments"], pair.ResponderPayloads.Texts);
    }

    [Fact]
    public void Classic_LosslessLink_SendsNoFragment()
    {
        var pair = new ChannelPair(new NoiseSecurity(_alice), new NoiseSecurity(_bob, postQuantum: true));
        pair.Establish();

        Assert.False(ChannelPair.SessionOf(pair.Initiator).IsPostQuantum);
        Assert.DoesNotContain(pair.Network.Log, IsFragment);
    }

    [Theory]
    [InlineData(0)] // the first fragment of message 1
    [InlineData(1)] // its second
    [InlineData(2)] // the first fragment of message 2
    [InlineData(3)] // its second
    public void Hybrid_OneFragmentLost_TheRetransmittedFlightCompletesIt(int lost)
    {
        var seen = 0;
        var pair = new ChannelPair(new NoiseSecurity(_alice, postQuantum: true), new NoiseSecurity(_bob),
            drop: wire => IsFragment(wire) && seen++ == lost);
        pair.Run(TimeSpan.FromSeconds(3));

        Assert.True(pair.Initiator.Established.IsCompletedSuccessfully, "initiator established");
        Assert.True(pair.Responder.Established.IsCompletedSuccessfully, "responder established");
        Assert.True(ChannelPair.SessionOf(pair.Responder).IsPostQuantum);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Hybrid_TenPercentLossBothWays_Establishes(int seed)
    {
        var random = new Random(seed);
        var pair = new ChannelPair(new NoiseSecurity(_alice, postQuantum: true), new NoiseSecurity(_bob),
            drop: _ => random.NextDouble() < 0.10);
        pair.Run(DatagramChannelOptions.Default.HandshakeTimeout - TimeSpan.FromMilliseconds(1));

        Assert.True(pair.Initiator.Established.IsCompletedSuccessfully, "initiator established");
        Assert.True(pair.Responder.Established.IsCompletedSuccessfully, "responder established");
    }

    public static TheoryData<string, byte[]> MalformedFragments => new()
    {
        { "no fragment header", [0] },
        { "count 1", [0, 1, .. new byte[100]] },
        { "count above the limit", [0, 5, .. new byte[SecureDatagramChannel.FragmentDataSize]] },
        { "fragment number not below the count", [2, 2, .. new byte[10]] },
        { "a short fragment that is not the last", [0, 2, .. new byte[100]] },
    };

    [Theory]
    [MemberData(nameof(MalformedFragments))]
    public void Fragment_Malformed_DroppedAndTheHandshakeGoesOn(string what, byte[] body)
    {
        var pair = new ChannelPair(new NoiseSecurity(_alice, postQuantum: true), new NoiseSecurity(_bob));
        // 10 ms in, the responder has read message 1 and waits for message 3: the forged fragment claims to be of it.
        pair.Run(TimeSpan.FromMilliseconds(10));
        var initiatorId = pair.Initiator.LocalSessionId;
        var before = pair.Responder.Statistics.Dropped(DatagramDropReason.Malformed);
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, Packet(PacketHeader.Handshake(initiatorId, 0x83), body));

        Assert.Equal(before + 1, pair.Responder.Statistics.Dropped(DatagramDropReason.Malformed));
        pair.Run(TimeSpan.FromSeconds(1));
        Assert.True(pair.Responder.Established.IsCompletedSuccessfully, what);
    }

    [Fact]
    public void Fragment_FromAStrangerOrAnotherSession_DroppedWithoutAnAnswer()
    {
        var pair = new ChannelPair(new NoiseSecurity(_alice, postQuantum: true), new NoiseSecurity(_bob));
        pair.Run(TimeSpan.FromMilliseconds(10));
        var sent = pair.Network.Log.Count(w => w.From.Equals(ChannelPair.B));
        byte[] body = [0, 2, .. new byte[SecureDatagramChannel.FragmentDataSize]];

        pair.Network.Deliver(ChannelPair.Stranger, ChannelPair.B, Packet(PacketHeader.Handshake(pair.Initiator.LocalSessionId, 0x81), body));
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, Packet(PacketHeader.Handshake(pair.Initiator.LocalSessionId + 1, 0x81), body));

        Assert.Equal(1, pair.Responder.Statistics.Dropped(DatagramDropReason.Stranger));
        Assert.Equal(1, pair.Responder.Statistics.Dropped(DatagramDropReason.UnknownSession));
        Assert.Equal(sent, pair.Network.Log.Count(w => w.From.Equals(ChannelPair.B)));
    }

    [Fact]
    public void Fragment_BeforeTheHello_DroppedAndKeepsNoState()
    {
        // A listening responder (no peer yet) takes nothing but a hello: a fragment neither starts a handshake nor
        // draws an answer.
        var scheduler = new Microsoft.Reactive.Testing.TestScheduler();
        var network = new VirtualNetwork(scheduler);
        var responder = SecureDatagramChannel.Accept(new NoiseSecurity(_bob), network.SendFrom(ChannelPair.B), null, scheduler);
        network.Attach(ChannelPair.B, responder);

        responder.Receive(ChannelPair.A, Packet(PacketHeader.Handshake(7, 0x81), [0, 2, .. new byte[SecureDatagramChannel.FragmentDataSize]]));
        scheduler.AdvanceBy(TimeSpan.FromSeconds(11).Ticks);

        Assert.Empty(network.Log);
        Assert.False(responder.Established.IsCompleted);
        Assert.Equal(1, responder.Statistics.Dropped(DatagramDropReason.Unexpected));
    }

    [Fact]
    public async Task Hybrid_ThroughAUdpListenerOnLoopback_ChatsBothWays()
    {
        await using var listener = UdpSecureListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), new NoiseSecurity(_bob));
        await using var alice = UdpSecureChannel.Connect(new NoiseSecurity(_alice, postQuantum: true), listener.LocalEndPoint);
        await using var forAlice = await listener.AcceptAsync().WaitAsync(Timeouts.Default);
        var atAlice = await alice.Established.WaitAsync(Timeouts.Default);
        var atBob = await forAlice.Established.WaitAsync(Timeouts.Default);

        Assert.True(atAlice.IsPostQuantum);
        Assert.True(atBob.IsPostQuantum);
        await AssertDeliversAsync(alice, forAlice, "to bob, post-quantum");
        await AssertDeliversAsync(forAlice, alice, "to alice, post-quantum");
    }

    private static bool IsFragment(Wire wire) => wire.Type == 1 && (wire.Bytes[5] & 0x80) != 0;

    private static byte[] Packet(PacketHeader header, ReadOnlySpan<byte> body)
    {
        var packet = new byte[PacketCodec.EncodedSize(header, body.Length)];
        PacketCodec.Encode(header, body, packet);
        return packet;
    }

    private static async Task AssertDeliversAsync(ISecureChannel from, ISecureChannel to, string text)
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = to.Messages.Subscribe(m => received.TrySetResult(Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(m))), e => received.TrySetException(e));
        await from.SendAsync(Encoding.UTF8.GetBytes(text));
        Assert.Equal(text, await received.Task.WaitAsync(Timeouts.Default));
    }
}
