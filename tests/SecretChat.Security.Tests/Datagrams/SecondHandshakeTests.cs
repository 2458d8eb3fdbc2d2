using SecretChat.Framing.Packets;
using SecretChat.Security.Datagrams;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;

namespace SecretChat.Security.Tests.Datagrams;

/// <summary>
/// Issue 14, attack 4: nothing unauthenticated changes an established session. A hello with a new session id (here
/// forged with the peer's own source address) only starts a second handshake beside the session; the session is
/// replaced only when that handshake authenticates the same peer. In virtual time.
/// </summary>
public class SecondHandshakeTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    /// <summary>An initiator's hello of session <paramref name="sessionId"/>, as anyone can write it (no key needed).</summary>
    private static byte[] ForgedHello(ISecurityModule security, uint sessionId)
    {
        var hello = ProtocolHello.Local(security, HandshakeRole.Initiator);
        var packet = new byte[PacketCodec.EncodedSize(PacketHeader.Handshake(sessionId, 0), hello.Bytes.Length)];
        PacketCodec.Encode(PacketHeader.Handshake(sessionId, 0), hello.Bytes, packet);
        return packet;
    }

    private static void AssertDeliversBothWays(ChannelPair pair, string tag)
    {
        Assert.True(pair.Initiator.SendAsync(System.Text.Encoding.UTF8.GetBytes($"to B {tag}")).IsCompletedSuccessfully);
        Assert.True(pair.Responder.SendAsync(System.Text.Encoding.UTF8.GetBytes($"to A {tag}")).IsCompletedSuccessfully);
        pair.Run(100 * Ms);
        Assert.Equal($"to B {tag}", pair.ResponderPayloads.Texts[^1]);
        Assert.Equal($"to A {tag}", pair.InitiatorPayloads.Texts[^1]);
    }

    [Fact]
    public void ForgedHello_NewSessionIdFromThePeersAddress_SessionKeepsDeliveringBothWays()
    {
        var responderSecurity = new ScriptedDatagramSecurity();
        var pair = new ChannelPair(responderSecurity: responderSecurity);
        pair.Establish();

        // The attacker forges the initiator's address: a bare hello of a new session, nothing it cannot write.
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, ForgedHello(responderSecurity, 0xBAD5EED));
        AssertDeliversBothWays(pair, "during");
        pair.Run(TimeSpan.FromSeconds(15)); // the second handshake times out, unanswered
        AssertDeliversBothWays(pair, "after");

        Assert.Null(pair.ResponderPayloads.Error);
        Assert.Null(pair.InitiatorPayloads.Error);
        Assert.Equal(2, responderSecurity.Prologues.Count); // the session's handshake and the forged one's, which died
        Assert.Null(pair.Responder.TakeSuccessor());
        Assert.Equal(ChannelPair.A, pair.Responder.RemoteEndPoint);
    }

    [Fact]
    public void ForgedHello_FromAStranger_StartsNothing()
    {
        var responderSecurity = new ScriptedDatagramSecurity();
        var pair = new ChannelPair(responderSecurity: responderSecurity);
        pair.Establish();

        pair.Network.Deliver(ChannelPair.Stranger, ChannelPair.B, ForgedHello(responderSecurity, 0xBAD5EED));

        Assert.Single(responderSecurity.Prologues);
        Assert.Equal(1, pair.Responder.Statistics.Dropped(DatagramDropReason.Stranger));
        AssertDeliversBothWays(pair, "after");
    }

    [Fact]
    public void ForgedHello_OfAnotherModeOrARespondersHello_StartsNothingAndSendsNothing()
    {
        var responderSecurity = new ScriptedDatagramSecurity();
        var pair = new ChannelPair(responderSecurity: responderSecurity);
        pair.Establish();
        var sent = pair.Network.Log.Count(w => w.From.Equals(ChannelPair.B));

        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, ForgedHello(new ScriptedDatagramSecurity(BuiltInModules.Rsa), 0xBAD1));
        var respondersHello = ProtocolHello.Local(responderSecurity, HandshakeRole.Responder);
        var packet = new byte[PacketCodec.EncodedSize(PacketHeader.Handshake(0xBAD2, 0), respondersHello.Bytes.Length)];
        PacketCodec.Encode(PacketHeader.Handshake(0xBAD2, 0), respondersHello.Bytes, packet);
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, packet);
        byte[] legacy = [1, 0, 0, 0xBA, 0xD3, 0, 0x53, 0x43, 0x48, 0x54, 1, 3, 1]; // the 13-byte version-1 hello
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, legacy);
        pair.Run(TimeSpan.FromSeconds(15));

        Assert.Single(responderSecurity.Prologues);
        Assert.Equal(sent, pair.Network.Log.Count(w => w.From.Equals(ChannelPair.B))); // no reject reflected at the peer
        Assert.Equal(3, pair.Responder.Statistics.Dropped(DatagramDropReason.UnknownSession));
        AssertDeliversBothWays(pair, "after");
    }

    [Fact]
    public void ForgedHelloFlood_AThousandInOneSecond_StartsOneSecondHandshake()
    {
        var responderSecurity = new ScriptedDatagramSecurity();
        var pair = new ChannelPair(responderSecurity: responderSecurity);
        pair.Establish();

        for (var k = 0; k < 1000; k++)
        {
            pair.Network.Deliver(ChannelPair.A, ChannelPair.B, ForgedHello(responderSecurity, 0xF000u + (uint)k));
            pair.Run(Ms);
        }
        AssertDeliversBothWays(pair, "during the flood");

        Assert.Equal(2, responderSecurity.Prologues.Count); // the session's, and one second handshake for the flood
        Assert.Equal(999, pair.Responder.Statistics.Dropped(DatagramDropReason.SecondHandshakeRefused));
        Assert.Null(pair.ResponderPayloads.Error);
    }

    [Fact]
    public void ForgedHelloFlood_OneASecondForAMinute_OneHandshakeEachAndTheSessionLives()
    {
        var responderSecurity = new ScriptedDatagramSecurity();
        var pair = new ChannelPair(responderSecurity: responderSecurity);
        pair.Establish();

        for (var k = 0; k < 60; k++)
        {
            for (var burst = 0; burst < 10; burst++)
                pair.Network.Deliver(ChannelPair.A, ChannelPair.B, ForgedHello(responderSecurity, 0xF000u + (uint)(k * 10 + burst)));
            pair.Run(1000 * Ms);
        }

        Assert.Equal(1 + 60, responderSecurity.Prologues.Count);
        Assert.Equal(60 * 9, pair.Responder.Statistics.Dropped(DatagramDropReason.SecondHandshakeRefused));
        AssertDeliversBothWays(pair, "after a minute");
        Assert.Null(pair.ResponderPayloads.Error);
    }

    [Fact]
    public void PeerRestart_SameKeyNewSessionId_OldSessionWorksUntilTheNewHandshakeCompletesThenIsReplaced()
    {
        var pair = new ChannelPair();
        pair.Establish();
        var oldInitiator = pair.Initiator;
        var oldSessionPacket = pair.SendFromInitiator("before");
        pair.Run(100 * Ms);

        // The initiator's process restarts on the same address; its handshake messages (after the hello) are held back.
        pair.Network.Drop = w => w.From.Equals(ChannelPair.A) && w.IsHandshake && w.Bytes[5] != 0;
        var restarted = SecureDatagramChannel.Connect(new ScriptedDatagramSecurity(), ChannelPair.B, pair.Network.SendFrom(ChannelPair.A), null, pair.Scheduler);
        pair.Network.Attach(ChannelPair.A, restarted);
        pair.Run(100 * Ms);
        Assert.False(restarted.Established.IsCompleted);
        // The old session still delivers: the hello alone proves nothing.
        Assert.True(oldInitiator.SendAsync("still old"u8.ToArray()).IsCompletedSuccessfully);
        pair.Run(100 * Ms);
        Assert.Equal("still old", pair.ResponderPayloads.Texts[^1]);
        Assert.Null(pair.ResponderPayloads.Error);

        pair.Network.Drop = _ => false;
        pair.Run(1000 * Ms);

        Assert.True(restarted.Established.IsCompletedSuccessfully);
        Assert.IsType<PeerRestartedException>(pair.ResponderPayloads.Error);
        Assert.True(pair.Responder.SendAsync("x"u8.ToArray()).AsTask().IsFaulted);
        using var successor = pair.Responder.TakeSuccessor();
        Assert.NotNull(successor);
        Assert.Null(pair.Responder.TakeSuccessor());
        Assert.True(successor.Established.IsCompletedSuccessfully);
        Assert.Equal(ChannelPair.A, successor.RemoteEndPoint);
        var heard = new List<string>();
        var heardByRestarted = new List<string>();
        using var a = successor.Payloads.Subscribe(p => heard.Add(System.Text.Encoding.UTF8.GetString(p.Span)));
        using var b = restarted.Payloads.Subscribe(p => heardByRestarted.Add(System.Text.Encoding.UTF8.GetString(p.Span)));
        // The old channel hands the new session's packets on, so both directions work at once.
        Assert.True(restarted.SendAsync("new hello"u8.ToArray()).IsCompletedSuccessfully);
        Assert.True(successor.SendAsync("welcome back"u8.ToArray()).IsCompletedSuccessfully);
        pair.Run(100 * Ms);
        Assert.Equal(["new hello"], heard);
        Assert.Equal(["welcome back"], heardByRestarted);
        // A packet of the old session, replayed now, opens nowhere.
        pair.Network.Deliver(ChannelPair.A, ChannelPair.B, oldSessionPacket.Bytes);
        Assert.Equal(["new hello"], heard);
    }

    [Fact]
    public void PeerRestart_SuccessorNotTaken_IsDisposedWithTheOldChannel()
    {
        var pair = new ChannelPair();
        pair.Establish();
        var restarted = SecureDatagramChannel.Connect(new ScriptedDatagramSecurity(), ChannelPair.B, pair.Network.SendFrom(ChannelPair.A), null, pair.Scheduler);
        pair.Network.Attach(ChannelPair.A, restarted);
        pair.Run(1000 * Ms);
        Assert.IsType<PeerRestartedException>(pair.ResponderPayloads.Error);

        pair.Responder.Dispose();

        Assert.Null(pair.Responder.TakeSuccessor()); // gone with the old channel: nobody can take it any more
    }

    [Fact]
    public void SecondHandshake_AuthenticatesAnotherKey_RefusedAndTheSessionGoesOn()
    {
        var bob = new NoiseSecurity(StaticKeyPair.Generate());
        var pair = new ChannelPair(new NoiseSecurity(StaticKeyPair.Generate()), bob);
        pair.Establish();

        // Mallory, at the initiator's address (or forging it and receiving there), runs a whole handshake with her own key.
        var mallory = SecureDatagramChannel.Connect(new NoiseSecurity(StaticKeyPair.Generate()), ChannelPair.B, pair.Network.SendFrom(ChannelPair.A), null, pair.Scheduler);
        pair.Network.Attach(ChannelPair.A, mallory);
        pair.Run(1000 * Ms);
        Assert.True(mallory.Established.IsCompletedSuccessfully); // her side completed; ours refused her key

        Assert.Equal(1, pair.Responder.Statistics.Dropped(DatagramDropReason.SecondHandshakeRefused));
        Assert.Null(pair.ResponderPayloads.Error);
        Assert.Null(pair.Responder.TakeSuccessor());
        pair.Network.Attach(ChannelPair.A, pair.Initiator);
        AssertDeliversBothWays(pair, "after mallory");
    }

    [Fact]
    public void PeerRestart_Noise_SameStaticKeyReplacesTheSession()
    {
        var aliceKey = StaticKeyPair.Generate();
        var pair = new ChannelPair(new NoiseSecurity(aliceKey), new NoiseSecurity(StaticKeyPair.Generate()));
        pair.Establish();

        var restarted = SecureDatagramChannel.Connect(new NoiseSecurity(aliceKey), ChannelPair.B, pair.Network.SendFrom(ChannelPair.A), null, pair.Scheduler);
        pair.Network.Attach(ChannelPair.A, restarted);
        pair.Run(1000 * Ms);

        Assert.IsType<PeerRestartedException>(pair.ResponderPayloads.Error);
        using var successor = pair.Responder.TakeSuccessor();
        Assert.NotNull(successor);
        Assert.Equal(aliceKey.PublicKey.ToArray(), ChannelPair.SessionOf(successor).RemoteStaticKey.ToArray());
    }

    [Fact]
    public void AdmitPeer_Refuses_HandshakeFailsWithTheSentenceAndNoSessionIsUsed()
    {
        SecureSession? asked = null;
        var options = new DatagramChannelOptions
        {
            Greeting = new HandshakeGreeting("alice", []),
            AdmitPeer = session =>
            {
                asked = session;
                return session.PeerGreeting.DisplayName == "alice" ? "Not the alice you pinned." : null;
            },
        };
        var pair = new ChannelPair(options: options);
        pair.Run(TimeSpan.FromSeconds(1));

        var refused = Assert.IsType<PeerRefusedException>(pair.Responder.Established.Exception?.InnerException);
        Assert.Equal("Not the alice you pinned.", refused.Message);
        // The responder writes the last message here and refused before sending it: the initiator never completes.
        Assert.False(pair.Initiator.Established.IsCompleted);
        Assert.NotNull(asked);
    }

    [Fact]
    public void AdmitPeer_Throws_HandshakeFailsWithItsMessage()
    {
        var options = new DatagramChannelOptions { AdmitPeer = _ => throw new InvalidOperationException("The pin file cannot be read.") };
        var pair = new ChannelPair(options: options);
        pair.Run(TimeSpan.FromSeconds(1));

        Assert.Equal("The pin file cannot be read.", Assert.IsType<PeerRefusedException>(pair.Responder.Established.Exception?.InnerException).Message);
    }

    [Fact]
    public void AdmitPeer_Accepts_EstablishesWithThePeersGreetingVisible()
    {
        string? seen = null;
        var options = new DatagramChannelOptions
        {
            Greeting = new HandshakeGreeting("bob", []),
            AdmitPeer = session =>
            {
                seen = session.PeerGreeting.DisplayName;
                return null;
            },
        };
        var pair = new ChannelPair(options: options);
        pair.Establish();
        Assert.Equal("bob", seen);
    }
}
