using System.Net;
using SecretChat.App.Tests.Fakes;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Security.Pairing;
using SecretChat.Tests;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Composition;

/// <summary>
/// A man in the middle on loopback TCP that terminates noise on both sides (its own identity toward each) and relays
/// every decrypted envelope unchanged, as a signaling server that registered the room first could: with the right code
/// on both ends it still cannot complete the pairing, and both users are told.
/// </summary>
public sealed class CodePairingManInTheMiddleTests
{
    [Fact]
    public async Task Pair_ThroughAManInTheMiddleRelayingTwoNoiseSessions_BothFailToldAndNothingIsPinned()
    {
        using var home = new TempDirectory();
        var code = PairingCode.Generate();
        var connector = new ChatConnector();
        await using var bobListener = await connector.ListenAsync(CodePairingChatTests.Side(home, "bob", code));
        var bobAccepting = bobListener.AcceptAsync();

        var towardAlice = new NoiseSecurity(StaticKeyPair.Generate());
        var towardBob = new NoiseSecurity(StaticKeyPair.Generate());
        await using var mitmListener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var relaying = Task.Run(async () =>
        {
            var fromAlice = await mitmListener.AcceptAsync();
            var bobAt = (IPEndPoint)bobListener.LocalEndPoint;
            var toBob = await TcpTransport.ConnectAsync(bobAt.Address.ToString(), bobAt.Port);
            await using var aliceSide = new FramedSecureChannel(fromAlice, towardAlice, HandshakeRole.Responder, TestApp.Timeout, greeting: ChatSession.GreetingFor("bob"));
            await using var bobSide = new FramedSecureChannel(toBob, towardBob, HandshakeRole.Initiator, TestApp.Timeout, greeting: ChatSession.GreetingFor("alice"));
            var relayed = new List<byte>();
            var bothEnded = Task.WhenAll(Relay(aliceSide, bobSide, relayed), Relay(bobSide, aliceSide, relayed));
            await bothEnded.WaitAsync(TestApp.Timeout);
            return relayed.Count;
        });

        var aliceFailure = await Assert.ThrowsAsync<ChatFailedException>(() =>
            connector.ConnectAsync(CodePairingChatTests.Side(home, "alice", code) with { EndPoint = mitmListener.LocalEndPoint.ToString() }).WaitAsync(TestApp.Timeout));
        var bobFailure = await Assert.ThrowsAsync<ChatFailedException>(() => bobAccepting.WaitAsync(TestApp.Timeout));
        Assert.Equal(UserSentences.CodeDidNotMatch, aliceFailure.Message);
        Assert.Equal(UserSentences.CodeDidNotMatch, bobFailure.Message);

        // The relay did carry the pairing (it is not a test of a dead link), and nobody pinned the man in the middle.
        Assert.True(await relaying.WaitAsync(TestApp.Timeout) >= 2, "the man in the middle relayed no pairing rounds");
        Assert.Empty(KnownPeers.Load(home.File("alice", "known_peers.json")).Contacts);
        Assert.Empty(KnownPeers.Load(home.File("bob", "known_peers.json")).Contacts);
    }

    private const byte EnvelopeKindPairing = (byte)SecretChat.Framing.EnvelopeKind.Pairing;

    /// <summary>Every message from <paramref name="from"/> goes to <paramref name="to"/> unchanged, in order; records the pairing ones.</summary>
    private static Task Relay(ISecureChannel from, ISecureChannel to, List<byte> relayedPairingKinds)
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var last = Task.CompletedTask;
        from.Messages.Subscribe(
            message =>
            {
                var copy = System.Buffers.BuffersExtensions.ToArray(message);
                if (copy.Length > 0 && copy[0] == EnvelopeKindPairing)
                    lock (relayedPairingKinds) relayedPairingKinds.Add(copy[0]);
                last = last.ContinueWith(_ => to.SendAsync(copy).AsTask(), TaskScheduler.Default).Unwrap();
            },
            _ => ended.TrySetResult(),
            () => ended.TrySetResult());
        return ended.Task;
    }
}
