using System.Buffers.Binary;
using System.Net;
using System.Text;
using SecretChat.Security.Datagrams;

namespace SecretChat.Security.Tests.Datagrams;

public class SecureDatagramChannelDataTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    /// <summary>An established pair whose initiator's data packets are captured instead of delivered.</summary>
    private static ChannelPair CapturingPair(DatagramChannelOptions? options = null)
    {
        var pair = new ChannelPair(options: options, drop: w => w.IsData && w.From.Equals(ChannelPair.A));
        pair.Establish();
        return pair;
    }

    /// <summary>A data packet sealed as the initiator would seal it (the toy key travels in the handshake hash).</summary>
    private static byte[] Forge(ChannelPair pair, ulong counter, string text)
    {
        var key = BitConverter.ToUInt64(ChannelPair.SessionOf(pair.Initiator).HandshakeHash.Span);
        var plaintext = Encoding.UTF8.GetBytes(text);
        var packet = new byte[13 + plaintext.Length + 8];
        packet[0] = 2;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(1), pair.Responder.LocalSessionId);
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(5), counter);
        new ToyCipherState(key ^ 1).Seal(counter, packet.AsSpan(0, 13), plaintext, packet.AsSpan(13));
        return packet;
    }

    [Fact]
    public void SendAsync_BothDirections_DeliversPayloadsInTheirOwnDatagrams()
    {
        var pair = new ChannelPair();
        pair.Establish();

        pair.SendFromInitiator("hello");
        pair.SendFromInitiator("again");
        Assert.True(pair.Responder.SendAsync("hi back"u8.ToArray()).IsCompletedSuccessfully);
        pair.Run(100 * Ms);

        Assert.Equal(["hello", "again"], pair.ResponderPayloads.Texts);
        Assert.Equal(["hi back"], pair.InitiatorPayloads.Texts);
        var data = pair.Network.Log.Where(w => w.IsData && w.From.Equals(ChannelPair.A)).ToArray();
        Assert.Equal([0UL, 1UL], data.Select(w => BinaryPrimitives.ReadUInt64BigEndian(w.Bytes.AsSpan(5))));
        Assert.All(data, w => Assert.Equal(pair.Responder.LocalSessionId, BinaryPrimitives.ReadUInt32BigEndian(w.Bytes.AsSpan(1))));
        Assert.Equal(0, pair.Responder.Statistics.TotalDropped);
    }

    [Fact]
    public void SendAsync_EmptyPayload_IsRejected_BecauseEmptyIsAPathProbe()
    {
        var pair = new ChannelPair();
        pair.Establish();

        Assert.Equal("payload", Assert.Throws<ArgumentException>(() => pair.Initiator.SendAsync(ReadOnlyMemory<byte>.Empty)).ParamName);
    }

    [Fact]
    public void Payloads_ArrivingBeforeTheSubscriber_AreHandedOverInOrderOnSubscribe()
    {
        var pair = new ChannelPair();
        pair.Establish();
        pair.ResponderSubscription.Dispose();

        pair.SendFromInitiator("early one");
        pair.SendFromInitiator("early two");
        pair.Run(100 * Ms);
        var late = new List<string>();
        using var subscription = pair.Responder.Payloads.Subscribe(p => late.Add(System.Text.Encoding.UTF8.GetString(p.Span)));
        pair.SendFromInitiator("on time");
        pair.Run(100 * Ms);

        Assert.Equal(["early one", "early two", "on time"], late);
        Assert.Equal(0, pair.Responder.Statistics.Dropped(DatagramDropReason.NoSubscriber));
    }

    [Fact]
    public void ProbeAsync_Established_IsAuthenticatedButDeliversNothing()
    {
        var pair = new ChannelPair();
        pair.Establish();
        var policy = new RecordingPathPolicy();
        pair.Responder.PathPolicy = policy;

        Assert.True(pair.Initiator.ProbeAsync(ChannelPair.B).IsCompletedSuccessfully);
        pair.Run(100 * Ms);

        Assert.Empty(pair.ResponderPayloads.Texts);
        Assert.Equal(ChannelPair.A, Assert.Single(policy.Heard).From);
        Assert.Equal(0, pair.Responder.Statistics.TotalDropped);
    }

    [Fact]
    public void Receive_BitFlipInAnyByteOfADataPacket_DroppedCountedAndNothingChanges()
    {
        var pair = CapturingPair();
        var packet = pair.SendFromInitiator("integrity").Bytes;
        var flips = 0;

        for (var i = 0; i < packet.Length; i++)
        {
            foreach (var mask in new byte[] { 0x01, 0x80 })
            {
                var tampered = (byte[])packet.Clone();
                tampered[i] ^= mask;
                pair.Network.Deliver(ChannelPair.A, ChannelPair.B, tampered);
                pair.Network.Deliver(ChannelPair.Stranger, ChannelPair.B, tampered);
                flips += 2;
            }
        }

        Assert.Empty(pair.ResponderPayloads.Texts);
        Assert.Equal(flips, pair.Responder.Statistics.TotalDropped);
        Assert.True(pair.Responder.Statistics.Dropped(DatagramDropReason.AuthenticationFailed) > 0);
        Assert.Equal(ChannelPair.A, pair.Responder.RemoteEndPoint);
        // Nothing moved: the genuine packet (counter 0) is still fresh.
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, packet);
        Assert.Equal(["integrity"], pair.ResponderPayloads.Texts);
    }

    [Fact]
    public void Receive_ReplayedPacket_DroppedAsReplayed()
    {
        var pair = CapturingPair();
        var packet = pair.SendFromInitiator("once").Bytes;

        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, packet);
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, packet);

        Assert.Equal(["once"], pair.ResponderPayloads.Texts);
        Assert.Equal(1, pair.Responder.Statistics.Dropped(DatagramDropReason.Replayed));
    }

    [Fact]
    public void Receive_ReorderedInsideTheWindow_AllDelivered()
    {
        var pair = CapturingPair();
        var packets = Enumerable.Range(0, 5).Select(i => pair.SendFromInitiator($"p{i}").Bytes).ToArray();

        foreach (var i in new[] { 4, 0, 3, 1, 2 })
            pair.Network.Deliver(ChannelPair.A, ChannelPair.B, packets[i]);

        Assert.Equal(["p4", "p0", "p3", "p1", "p2"], pair.ResponderPayloads.Texts);
    }

    [Fact]
    public void Receive_OlderThanTheWindow_DroppedAsTooOld()
    {
        var pair = CapturingPair();
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, Forge(pair, 10_000, "ahead"));
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, Forge(pair, 10_000 - 8128, "edge"));
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, Forge(pair, 10_000 - 8129, "old"));

        Assert.Equal(["ahead", "edge"], pair.ResponderPayloads.Texts);
        Assert.Equal(1, pair.Responder.Statistics.Dropped(DatagramDropReason.TooOld));
    }

    [Fact]
    public void Receive_FarAheadOrPastTheLimit_DroppedWithoutMovingTheWindow()
    {
        var pair = CapturingPair(new DatagramChannelOptions { MaxCounterLead = 1000, RejectAfterMessages = 1UL << 40 });
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, Forge(pair, 1001, "too far"));
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, Forge(pair, 1UL << 40, "past the limit"));
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, Forge(pair, 1000, "just inside"));

        Assert.Equal(["just inside"], pair.ResponderPayloads.Texts);
        Assert.Equal(2, pair.Responder.Statistics.Dropped(DatagramDropReason.TooFarAhead));
    }

    public static TheoryData<byte[], DatagramDropReason> Malformed => new()
    {
        { [], DatagramDropReason.Malformed },
        { [2, 0, 0], DatagramDropReason.Malformed },
        { [1, 0, 0, 0, 0, 1], DatagramDropReason.Malformed },
        { [7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], DatagramDropReason.UnknownType },
        { [0], DatagramDropReason.UnknownType },
        { new byte[1201], DatagramDropReason.Malformed },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Receive_MalformedDatagram_DroppedAndCounted(byte[] datagram, DatagramDropReason reason)
    {
        var pair = CapturingPair();
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, datagram);
        Assert.Equal(1, pair.Responder.Statistics.Dropped(reason));
        Assert.Equal(1, pair.Responder.Statistics.TotalDropped);
    }

    [Fact]
    public void Receive_DataShorterThanTheTag_DroppedAsMalformed()
    {
        var pair = CapturingPair();
        var packet = pair.SendFromInitiator("x").Bytes;
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, packet[..(13 + 7)]);
        Assert.Equal(1, pair.Responder.Statistics.Dropped(DatagramDropReason.Malformed));
    }

    [Fact]
    public void Receive_DataForAnotherSession_DroppedAsUnknownSession()
    {
        var pair = CapturingPair();
        var packet = pair.SendFromInitiator("x").Bytes;
        packet[1] ^= 0xFF;
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, packet);
        Assert.Equal(1, pair.Responder.Statistics.Dropped(DatagramDropReason.UnknownSession));
    }

    [Fact]
    public void Receive_DataBeforeTheHandshake_DroppedAsNotEstablished()
    {
        var pair = new ChannelPair(drop: w => w.From.Equals(ChannelPair.A));
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, new byte[13 + 8 + 2].Select((_, i) => i == 0 ? (byte)2 : (byte)0).ToArray());
        Assert.Equal(1, pair.Responder.Statistics.Dropped(DatagramDropReason.NotEstablished));
        Assert.Null(pair.Responder.RemoteEndPoint);
    }

    [Fact]
    public void Receive_BoundedGarbageFlood_NothingDeliveredStateUnchangedAndStillWorks()
    {
        var pair = CapturingPair();
        var random = new Random(7);
        var sessionId = pair.Responder.LocalSessionId;
        const int flood = 5000;
        for (var i = 0; i < flood; i++)
        {
            var bytes = new byte[random.Next(0, 1300)];
            random.NextBytes(bytes);
            if (bytes.Length > 0 && i % 2 == 0)
                bytes[0] = (byte)random.Next(1, 4); // mostly well-typed
            if (bytes.Length >= 13 && i % 4 == 0)
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1), sessionId); // and aimed at this session
            var from = i % 3 == 0 ? ChannelPair.A : new IPEndPoint(IPAddress.Parse($"192.0.2.{random.Next(1, 255)}"), random.Next(1, 65535));
            pair.Network.Deliver(from, ChannelPair.B, bytes);
        }

        Assert.Empty(pair.ResponderPayloads.Texts);
        Assert.Null(pair.ResponderPayloads.Error);
        Assert.Equal(flood, pair.Responder.Statistics.TotalDropped);
        Assert.Equal(ChannelPair.A, pair.Responder.RemoteEndPoint);
        Assert.Equal(0, pair.Responder.Statistics.Roamed);

        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, pair.SendFromInitiator("still works").Bytes);
        Assert.Equal(["still works"], pair.ResponderPayloads.Texts);
    }

    [Fact]
    public void Roaming_AuthenticatedPacketFromANewAddress_MovesTheRemoteEndPointAndRepliesFollow()
    {
        var pair = CapturingPair();
        var moved = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 4242); // the NAT rebound the initiator's port

        pair.Network.Deliver(moved, ChannelPair.B, pair.SendFromInitiator("from the new port").Bytes);
        pair.Network.Attach(moved, pair.Initiator);
        Assert.True(pair.Responder.SendAsync("reply"u8.ToArray()).IsCompletedSuccessfully);
        pair.Run(100 * Ms);

        Assert.Equal(moved, pair.Responder.RemoteEndPoint);
        Assert.Equal(1, pair.Responder.Statistics.Roamed);
        Assert.Equal(moved, pair.Network.Log.Last(w => w.From.Equals(ChannelPair.B)).To);
        Assert.Equal(["reply"], pair.InitiatorPayloads.Texts);
    }

    [Fact]
    public void Roaming_DeniedByThePolicy_DeliversButDoesNotMove()
    {
        var pair = CapturingPair();
        var relay = new IPEndPoint(IPAddress.Parse("10.0.0.9"), 3478);
        var policy = new RecordingPathPolicy { Allow = (_, candidate) => !candidate.Equals(relay) };
        pair.Responder.PathPolicy = policy;

        pair.Network.Deliver(relay, ChannelPair.B, pair.SendFromInitiator("stray, via the relay").Bytes);
        pair.Run(100 * Ms);

        Assert.Equal(ChannelPair.A, pair.Responder.RemoteEndPoint);
        Assert.Contains("stray, via the relay", pair.ResponderPayloads.Texts);
        Assert.Empty(policy.Moves);
        Assert.Equal((relay, false), (policy.Heard.Last().From, policy.Heard.Last().OnCurrentPath));
    }

    [Fact]
    public void SwitchPath_MovesTheSession_AndReportsIt()
    {
        var pair = new ChannelPair();
        pair.Establish();
        var policy = new RecordingPathPolicy();
        pair.Responder.PathPolicy = policy;
        var relay = new IPEndPoint(IPAddress.Parse("10.0.0.9"), 3478);

        pair.Responder.SwitchPath(relay, PathMoveReason.DirectSilent);
        pair.Responder.SwitchPath(relay, PathMoveReason.DirectSilent);

        Assert.Equal(relay, pair.Responder.RemoteEndPoint);
        Assert.Equal([new PathMove(relay, PathMoveReason.DirectSilent)], policy.Moves);
    }

    [Fact]
    public void Roaming_AllowedByThePolicy_MovesWithItsReason_AndTheMoveCountsAsHeardOnTheNewPath()
    {
        var pair = CapturingPair();
        var moved = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 5555);
        var policy = new RecordingPathPolicy { ReasonToGive = PathMoveReason.Upgraded };
        pair.Responder.PathPolicy = policy;

        pair.Network.Deliver(moved, ChannelPair.B, pair.SendFromInitiator("from the direct path").Bytes);
        pair.Run(100 * Ms);
        Assert.True(pair.Responder.SendAsync("reply"u8.ToArray()).IsCompletedSuccessfully);

        Assert.Equal([new PathMove(moved, PathMoveReason.Upgraded)], policy.Moves);
        Assert.Equal((moved, true), (policy.Heard.Last().From, policy.Heard.Last().OnCurrentPath));
        Assert.Equal(pair.Scheduler.Now, Assert.Single(policy.Sent));
    }

    [Fact]
    public void Probe_ThatMovesTheSession_IsAnsweredOnTheNewPath()
    {
        var pair = CapturingPair();
        var moved = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 5555);
        pair.Network.Attach(moved, pair.Initiator);
        var count = pair.Network.Log.Count;

        Assert.True(pair.Initiator.ProbeAsync(ChannelPair.B).IsCompletedSuccessfully);
        var probe = pair.Network.Log.Skip(count).Single(w => w.IsData);
        pair.Network.Deliver(moved, ChannelPair.B, probe.Bytes);
        pair.Run(100 * Ms);

        Assert.Equal(moved, pair.Responder.RemoteEndPoint);
        Assert.Contains(pair.Network.Log, w => w.IsData && w.From.Equals(ChannelPair.B) && w.To.Equals(moved));
        Assert.Empty(pair.ResponderPayloads.Texts);
    }

    [Fact]
    public void Roaming_ReplayedOrForgedPacketFromANewAddress_DoesNotMoveTheRemoteEndPoint()
    {
        var pair = CapturingPair();
        var attacker = new IPEndPoint(IPAddress.Parse("203.0.113.9"), 5555);
        var packet = pair.SendFromInitiator("genuine").Bytes;
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, packet);

        pair.Network.Deliver(attacker, ChannelPair.B, packet); // replayed
        var forged = pair.SendFromInitiator("forged").Bytes;
        forged[^1] ^= 1;
        pair.Network.Deliver(attacker, ChannelPair.B, forged); // bad tag

        Assert.Equal(ChannelPair.A, pair.Responder.RemoteEndPoint);
        Assert.Equal(0, pair.Responder.Statistics.Roamed);
        Assert.Equal(["genuine"], pair.ResponderPayloads.Texts);
    }

    [Fact]
    public void SendAsync_BeforeEstablishedOrTooLarge_Throws()
    {
        var pair = new ChannelPair();
        Assert.Throws<InvalidOperationException>(() => pair.Initiator.SendAsync(new byte[1]));
        pair.Establish();
        Assert.Equal(1200 - 13 - 8, pair.Initiator.MaxPayloadSize);
        Assert.True(pair.Initiator.SendAsync(new byte[pair.Initiator.MaxPayloadSize]).IsCompletedSuccessfully);
        Assert.Equal("payload", Assert.Throws<ArgumentOutOfRangeException>(() => pair.Initiator.SendAsync(new byte[pair.Initiator.MaxPayloadSize + 1])).ParamName);
        Assert.Equal(1200, pair.Network.Log.Last().Bytes.Length);
    }

    [Fact]
    public void SendAsync_CounterLimitReached_FailsWithNonceExhaustedAndEndsTheSession()
    {
        var pair = new ChannelPair(options: new DatagramChannelOptions { RejectAfterMessages = 3 });
        pair.Establish();
        for (var i = 0; i < 3; i++)
            Assert.True(pair.Initiator.SendAsync(new byte[1]).IsCompletedSuccessfully);

        var exhausted = pair.Initiator.SendAsync(new byte[1]);

        Assert.IsType<NonceExhaustedException>(exhausted.AsTask().Exception!.InnerException);
        Assert.IsType<NonceExhaustedException>(pair.InitiatorPayloads.Error);
        Assert.IsType<IOException>(pair.Initiator.SendAsync(new byte[1]).AsTask().Exception!.InnerException);
        Assert.Equal(3, pair.Network.Log.Count(w => w.IsData));
    }

    [Fact]
    public void Payloads_ObserverSendsFromInsideOnNext_ReplyGoesOut()
    {
        var pair = new ChannelPair();
        pair.Establish();
        pair.ResponderSubscription.Dispose();
        using var echo = pair.Responder.Payloads.Subscribe(p =>
        {
            var reply = Encoding.UTF8.GetBytes("echo " + Encoding.UTF8.GetString(p.Span));
            Assert.True(pair.Responder.SendAsync(reply).IsCompletedSuccessfully);
        });

        pair.SendFromInitiator("ping");
        pair.Run(100 * Ms);

        Assert.Equal(["echo ping"], pair.InitiatorPayloads.Texts);
    }

    [Fact]
    public void Payloads_SecondSubscriber_Refused()
    {
        var pair = new ChannelPair();
        Exception? refused = null;
        pair.Responder.Payloads.Subscribe(_ => { }, e => refused = e);
        Assert.IsType<InvalidOperationException>(refused);
    }

    [Fact]
    public void Dispose_Established_CompletesPayloadsAndIgnoresLaterDatagrams()
    {
        var pair = CapturingPair();
        var packet = pair.SendFromInitiator("late").Bytes;

        pair.Responder.Dispose();
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, packet);

        Assert.True(pair.ResponderPayloads.Completed);
        Assert.Empty(pair.ResponderPayloads.Texts);
        Assert.IsType<IOException>(pair.Responder.SendAsync(new byte[1]).AsTask().Exception!.InnerException);
        Exception? late = null;
        var completed = false;
        pair.Responder.Payloads.Subscribe(_ => { }, e => late = e, () => completed = true);
        Assert.True(completed && late is null);
    }
}
