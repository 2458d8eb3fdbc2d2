using System.Net;
using SecretChat.Security.Datagrams;

namespace SecretChat.Security.Tests.Datagrams;

public class SecureDatagramChannelHandshakeTests
{
    private static SecurityModuleInfo BuiltInModuleNamed(string id) =>
        BuiltInModules.TryFind(id, out var module) ? module : throw new ArgumentException($"No built-in module '{id}'.", nameof(id));

    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    /// <summary>(messages, first writer): two-message (pseudo-like), responder first (rsa-like), three-message (Noise XX-like).</summary>
    public static TheoryData<int, HandshakeRole> Scripts => new()
    {
        { 2, HandshakeRole.Initiator },
        { 2, HandshakeRole.Responder },
        { 3, HandshakeRole.Initiator },
    };

    private static ChannelPair Pair(int messages, HandshakeRole firstWriter, Func<Wire, bool>? drop = null, DatagramChannelOptions? options = null) =>
        new(new ScriptedDatagramSecurity(messages: messages, firstWriter: firstWriter),
            new ScriptedDatagramSecurity(messages: messages, firstWriter: firstWriter),
            options,
            drop);

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Handshake_NoLoss_BothEstablishWithMatchingKeysAndNoRetransmission(int messages, HandshakeRole firstWriter)
    {
        var pair = Pair(messages, firstWriter);
        pair.Run(100 * Ms);

        Assert.True(pair.Initiator.Established.IsCompletedSuccessfully);
        Assert.True(pair.Responder.Established.IsCompletedSuccessfully);
        Assert.Equal(ChannelPair.SessionOf(pair.Initiator).HandshakeHash.ToArray(), ChannelPair.SessionOf(pair.Responder).HandshakeHash.ToArray());
        Assert.Equal(ChannelPair.A, pair.Responder.RemoteEndPoint);
        Assert.Equal(0, pair.Initiator.Statistics.Retransmitted + pair.Responder.Statistics.Retransmitted);
        Assert.Equal(2 + messages, pair.Network.Log.Count);
    }

    [Fact]
    public void Handshake_Hellos_BoundAsTheSamePrologueOnBothSides()
    {
        var initiator = new ScriptedDatagramSecurity();
        var responder = new ScriptedDatagramSecurity();
        var pair = new ChannelPair(initiator, responder);
        pair.Establish();
        Assert.Equal(initiator.Prologues.Single(), responder.Prologues.Single());
    }

    [Theory]
    [InlineData(2, HandshakeRole.Initiator, 1)]
    [InlineData(2, HandshakeRole.Initiator, 3)]
    [InlineData(2, HandshakeRole.Responder, 2)]
    [InlineData(2, HandshakeRole.Responder, 4)]
    [InlineData(3, HandshakeRole.Initiator, 1)]
    [InlineData(3, HandshakeRole.Initiator, 4)]
    public void Handshake_FirstHandshakePacketsOfEachSideDropped_EstablishesByRetransmission(int messages, HandshakeRole firstWriter, int dropPerSide)
    {
        var dropped = new Dictionary<IPEndPoint, int>();
        var pair = Pair(messages, firstWriter, w =>
        {
            if (!w.IsHandshake)
                return false;
            var n = dropped.GetValueOrDefault(w.From);
            dropped[w.From] = n + 1;
            return n < dropPerSide;
        });

        pair.Run(TimeSpan.FromSeconds(9));

        Assert.True(pair.Initiator.Established.IsCompletedSuccessfully, pair.Initiator.Statistics.ToString());
        Assert.True(pair.Responder.Established.IsCompletedSuccessfully, pair.Responder.Statistics.ToString());
        Assert.True(pair.Initiator.Statistics.Retransmitted + pair.Responder.Statistics.Retransmitted > 0);
        // Both sides hold the same toy key, so data flows.
        pair.SendFromInitiator("after loss");
        pair.Run(100 * Ms);
        Assert.Equal(["after loss"], pair.ResponderPayloads.Texts);
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Handshake_LastHandshakeMessageLostOnce_BothEstablishAfterTheLateRetransmission(int messages, HandshakeRole firstWriter)
    {
        // The message with the highest index completes the handshake on the reading side; lose it once.
        var lost = false;
        var pair = Pair(messages, firstWriter, w =>
        {
            if (lost || !w.IsHandshake || w.Bytes[5] != messages)
                return false;
            lost = true;
            return true;
        });

        pair.Run(TimeSpan.FromSeconds(3));

        Assert.True(lost);
        Assert.True(pair.Initiator.Established.IsCompletedSuccessfully);
        Assert.True(pair.Responder.Established.IsCompletedSuccessfully);
        // The writer of the last message was already established and answered the peer's retransmission.
        var writer = (messages % 2 == 1) == (firstWriter == HandshakeRole.Initiator) ? pair.Initiator : pair.Responder;
        Assert.True(writer.Statistics.Retransmitted >= 1);
    }

    [Fact]
    public void Handshake_PeerSilent_RetransmitsHelloWithDoublingDelayAndTimesOut()
    {
        var pair = Pair(2, HandshakeRole.Initiator, w => w.From.Equals(ChannelPair.A)); // nothing from A arrives

        pair.Run(TimeSpan.FromSeconds(11));

        var error = Assert.IsType<HandshakeTimeoutException>(pair.Initiator.Established.Exception!.InnerException);
        Assert.Contains("did not answer the handshake within 10 s", error.Message);
        Assert.Same(error, pair.InitiatorPayloads.Error);
        var sentAt = pair.Network.Log.Where(w => w.From.Equals(ChannelPair.A)).Select(w => w.SentAt / TimeSpan.TicksPerMillisecond).ToArray();
        // Each flight is the hello and the first handshake message (protocol 2), sent together.
        Assert.Equal([0L, 0, 250, 250, 750, 750, 1750, 1750, 3750, 3750, 5750, 5750, 7750, 7750, 9750, 9750], sentAt);
        // The listener never heard anyone: it neither failed nor timed out.
        Assert.False(pair.Responder.Established.IsCompleted);
    }

    [Fact]
    public void Handshake_PeerSilentWithFastRetransmits_ShortScheduleFirstThenDoubling()
    {
        var options = DatagramChannelOptions.Default with { FastRetransmits = 3, FastRetransmitInterval = 100 * Ms };
        var pair = Pair(2, HandshakeRole.Initiator, w => w.From.Equals(ChannelPair.A), options);

        pair.Run(TimeSpan.FromSeconds(3));

        var sentAt = pair.Network.Log.Where(w => w.From.Equals(ChannelPair.A)).Select(w => w.SentAt / TimeSpan.TicksPerMillisecond).Distinct().ToArray();
        // Three retransmissions 100 ms apart, then the usual doubling from 250 ms.
        Assert.Equal([0L, 100, 200, 300, 550, 1050, 2050], sentAt);
        Assert.Equal(2 * sentAt.Length, pair.Network.Log.Count(w => w.From.Equals(ChannelPair.A)));
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Handshake_FirstFlightLostWithFastRetransmits_EstablishesWithinOneShortInterval(int messages, HandshakeRole firstWriter)
    {
        // A punched path: the initiator's first flight dies at the peer's NAT (its own punch has not opened it yet).
        var options = DatagramChannelOptions.Default with { FastRetransmits = 10, FastRetransmitInterval = 100 * Ms };
        var pair = Pair(messages, firstWriter, w => w.From.Equals(ChannelPair.A) && w.SentAt == 0, options);

        pair.Run(150 * Ms);

        Assert.True(pair.Initiator.Established.IsCompletedSuccessfully);
        Assert.True(pair.Responder.Established.IsCompletedSuccessfully);
    }

    [Fact]
    public void Handshake_FirstFlightLostWithoutFastRetransmits_WaitsForTheFirstBackoff()
    {
        // The default keeps the doubling schedule alone: the same loss costs 250 ms.
        var pair = Pair(3, HandshakeRole.Initiator, w => w.From.Equals(ChannelPair.A) && w.SentAt == 0);

        pair.Run(150 * Ms);
        Assert.False(pair.Initiator.Established.IsCompleted);
        pair.Run(150 * Ms);
        Assert.True(pair.Initiator.Established.IsCompletedSuccessfully);
    }

    [Fact]
    public void Handshake_ResponderFailsAfterHello_TimesOutFromTheFirstHello()
    {
        // The responder hears the initiator, but nothing it sends arrives. Three messages (XX-like): with two, protocol 2's
        // responder completes on its own as soon as it has answered the initiator's first flight.
        var pair = Pair(3, HandshakeRole.Initiator, w => w.From.Equals(ChannelPair.B));
        pair.Run(TimeSpan.FromSeconds(10) + 5 * Ms);
        Assert.False(pair.Responder.Established.IsCompleted); // first hello arrived at 10 ms
        pair.Run(10 * Ms);
        Assert.IsType<HandshakeTimeoutException>(pair.Responder.Established.Exception!.InnerException);
    }

    [Theory]
    [InlineData("noise", "pseudo", "uses pseudo encryption but this side uses noise", "uses noise encryption but this side uses pseudo")]
    [InlineData("rsa", "noise", "uses noise encryption but this side uses rsa", "uses rsa encryption but this side uses noise")]
    public void Handshake_ModeMismatch_BothSidesFailWithTheReason(string initiatorModeId, string responderModeId, string initiatorReason, string responderReason)
    {
        var initiatorMode = BuiltInModuleNamed(initiatorModeId);
        var responderMode = BuiltInModuleNamed(responderModeId);
        var pair = new ChannelPair(new ScriptedDatagramSecurity(initiatorMode), new ScriptedDatagramSecurity(responderMode));

        pair.Run(100 * Ms);

        var initiatorError = Assert.IsType<HandshakeException>(pair.InitiatorPayloads.Error);
        var responderError = Assert.IsType<HandshakeException>(pair.ResponderPayloads.Error);
        Assert.Contains(initiatorReason, initiatorError.Message);
        Assert.StartsWith("The peer refused the handshake", initiatorError.Message);
        Assert.Contains(responderReason, responderError.Message);
        Assert.Single(pair.Network.Log, w => w.IsReject);
    }

    [Fact]
    public void Handshake_BothInitiators_BothFailWithTheReason()
    {
        var scheduler = new Microsoft.Reactive.Testing.TestScheduler();
        var network = new VirtualNetwork(scheduler);
        var a = SecureDatagramChannel.Connect(new ScriptedDatagramSecurity(), ChannelPair.B, network.SendFrom(ChannelPair.A), null, scheduler);
        var b = SecureDatagramChannel.Connect(new ScriptedDatagramSecurity(), ChannelPair.A, network.SendFrom(ChannelPair.B), null, scheduler);
        network.Attach(ChannelPair.A, a);
        network.Attach(ChannelPair.B, b);

        scheduler.AdvanceBy(TimeSpan.FromMilliseconds(100).Ticks);

        Assert.Contains("both are initiators", a.Established.Exception!.InnerException!.Message);
        Assert.Contains("both are initiators", b.Established.Exception!.InnerException!.Message);
    }

    [Fact]
    public void Accept_SecondPeerHelloWhileBusy_IgnoredAndTheFirstSessionEstablishes()
    {
        var pair = new ChannelPair();
        pair.Run(5 * Ms);
        // A second initiator at the stranger's address: its hello reaches B after A's.
        var intruder = SecureDatagramChannel.Connect(new ScriptedDatagramSecurity(), ChannelPair.B, pair.Network.SendFrom(ChannelPair.Stranger), null, pair.Scheduler);
        pair.Network.Attach(ChannelPair.Stranger, intruder);

        pair.Run(TimeSpan.FromSeconds(1));

        Assert.True(pair.Responder.Established.IsCompletedSuccessfully);
        Assert.Equal(ChannelPair.A, pair.Responder.RemoteEndPoint);
        Assert.True(pair.Responder.Statistics.Dropped(DatagramDropReason.Stranger) >= 1);
        Assert.False(intruder.Established.IsCompleted);
    }

    [Fact]
    public void Reject_ForgedFromAStrangerOrAfterEstablishment_ChangesNothing()
    {
        var pair = new ChannelPair();
        pair.Run(5 * Ms);
        var reject = new byte[5 + 3];
        reject[0] = 3;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(reject.AsSpan(1), pair.Initiator.LocalSessionId);
        "bad"u8.CopyTo(reject.AsSpan(5));
        pair.Network.Deliver(ChannelPair.Stranger, ChannelPair.A, reject);
        Assert.Equal(1, pair.Initiator.Statistics.Dropped(DatagramDropReason.Stranger));

        pair.Establish();
        pair.Network.Deliver(ChannelPair.B, ChannelPair.A, reject);
        Assert.Equal(1, pair.Initiator.Statistics.Dropped(DatagramDropReason.Unexpected));
        Assert.True(pair.Responder.SendAsync("still here"u8.ToArray()).IsCompletedSuccessfully);
        pair.Run(100 * Ms);
        Assert.Equal(["still here"], pair.InitiatorPayloads.Texts);
    }

    [Fact]
    public void Reject_WithControlCharacters_ShownAsOneCleanLine()
    {
        var pair = new ChannelPair(drop: w => w.From.Equals(ChannelPair.B));
        var reason = "no\u001b[2J\nway!"u8;
        var reject = new byte[5 + reason.Length];
        reject[0] = 3;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(reject.AsSpan(1), pair.Initiator.LocalSessionId);
        reason.CopyTo(reject.AsSpan(5));
        pair.Network.Deliver(ChannelPair.B, ChannelPair.A, reject);

        var error = Assert.IsType<HandshakeException>(pair.InitiatorPayloads.Error);
        Assert.Equal("The peer refused the handshake: no [2J way!", error.Message);
    }

    [Fact]
    public void PeerRestart_FreshHelloAfterEstablishment_PayloadsFailWithAClearIOException()
    {
        var pair = new ChannelPair();
        pair.Establish();

        // The initiator's process restarts on the same address and says hello again with a new session id.
        var restarted = SecureDatagramChannel.Connect(new ScriptedDatagramSecurity(), ChannelPair.B, pair.Network.SendFrom(ChannelPair.A), null, pair.Scheduler);
        pair.Network.Attach(ChannelPair.A, restarted);
        pair.Run(100 * Ms);

        var error = Assert.IsType<PeerRestartedException>(pair.ResponderPayloads.Error);
        Assert.Contains("restarted", error.Message);
        Assert.True(pair.Responder.SendAsync("x"u8.ToArray()).AsTask().IsFaulted);
    }

    [Fact]
    public void Handshake_OldHelloRetransmittedAfterEstablishment_IgnoredWithoutRestart()
    {
        var pair = new ChannelPair();
        pair.Establish();
        var hello = pair.Network.Log.First(w => w.From.Equals(ChannelPair.A) && w.IsHandshake);
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, hello.Bytes);
        Assert.Null(pair.ResponderPayloads.Error);
        Assert.Equal(1, pair.Responder.Statistics.Dropped(DatagramDropReason.DuplicateHandshake));
    }

    [Fact]
    public void Connect_ArgumentChecking()
    {
        var security = new ScriptedDatagramSecurity();
        SecretChat.Transport.SendDatagram send = (_, _, _) => ValueTask.CompletedTask;
        Assert.Equal("security", Assert.Throws<ArgumentNullException>(() => SecureDatagramChannel.Connect(null!, ChannelPair.B, send)).ParamName);
        Assert.Equal("peer", Assert.Throws<ArgumentNullException>(() => SecureDatagramChannel.Connect(security, null!, send)).ParamName);
        Assert.Equal("send", Assert.Throws<ArgumentNullException>(() => SecureDatagramChannel.Connect(security, ChannelPair.B, null!)).ParamName);
        Assert.Equal("security", Assert.Throws<ArgumentNullException>(() => SecureDatagramChannel.Accept(null!, send)).ParamName);
        Assert.Equal("send", Assert.Throws<ArgumentNullException>(() => SecureDatagramChannel.Accept(security, null!)).ParamName);
        Assert.Equal("ReplayWindowSize", Assert.Throws<ArgumentOutOfRangeException>(() =>
            SecureDatagramChannel.Accept(security, send, new DatagramChannelOptions { ReplayWindowSize = 1000 })).ParamName);
        Assert.Equal("HandshakeTimeout", Assert.Throws<ArgumentOutOfRangeException>(() =>
            SecureDatagramChannel.Accept(security, send, new DatagramChannelOptions { HandshakeTimeout = TimeSpan.Zero })).ParamName);
        Assert.Equal("FastRetransmits", Assert.Throws<ArgumentOutOfRangeException>(() =>
            SecureDatagramChannel.Accept(security, send, new DatagramChannelOptions { FastRetransmits = DatagramChannelOptions.MaxFastRetransmits + 1 })).ParamName);
        Assert.Equal("FastRetransmits", Assert.Throws<ArgumentOutOfRangeException>(() =>
            SecureDatagramChannel.Accept(security, send, new DatagramChannelOptions { FastRetransmits = -1 })).ParamName);
        Assert.Equal("FastRetransmitInterval", Assert.Throws<ArgumentOutOfRangeException>(() =>
            SecureDatagramChannel.Accept(security, send, new DatagramChannelOptions { FastRetransmits = 1, FastRetransmitInterval = TimeSpan.Zero })).ParamName);
        using var channel = SecureDatagramChannel.Accept(security, send);
        Assert.Equal("from", Assert.Throws<ArgumentNullException>(() => channel.Receive(null!, [])).ParamName);
    }
}
