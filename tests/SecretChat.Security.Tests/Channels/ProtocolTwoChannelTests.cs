using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Transport;

namespace SecretChat.Security.Tests.Channels;

/// <summary>Protocol 2 over framed channels: the 65,535-byte cap and a man in the middle who rewrites the hello or the greeting.</summary>
public sealed class ProtocolTwoChannelTests : TwoPeersTest
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    public async Task LargestMessage_IsDeliveredInOneFrameOf65535Bytes_AndOneByteMoreIsRefusedBeforeSending(string mode)
    {
        var frames = new List<int>();
        var (aliceConnection, bobConnection, middle) = RewritingMiddle.Create((_, frame) => { lock (frames) frames.Add(frame.Length); return [frame]; });
        middle.Armed = true;
        await using var _ = middle;
        await using var alice = new FramedSecureChannel(aliceConnection, Module(mode, AliceKey), HandshakeRole.Initiator, Timeout);
        await using var bob = new FramedSecureChannel(bobConnection, Module(mode, BobKey), HandshakeRole.Responder, Timeout);
        var bobGot = bob.Messages.Select(m => System.Buffers.BuffersExtensions.ToArray(m)).FirstAsync().ToTask();
        using var aliceSubscription = alice.Messages.Subscribe(_ => { }, _ => { });
        await alice.Established.WaitAsync(Timeout);
        var largest = new byte[TransportLimits.MaxMessageSize];
        Random.Shared.NextBytes(largest);

        await alice.SendAsync(largest);
        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await alice.SendAsync(new byte[TransportLimits.MaxMessageSize + 1]));

        Assert.Equal(largest, await bobGot.WaitAsync(Timeout));
        Assert.Equal("A message can hold at most 65519 bytes; this one has 65520, so it was not sent. (Parameter 'message')", error.Message);
        lock (frames)
        {
            Assert.Equal(TransportLimits.MaxSealedMessageSize, frames[^1]);
            Assert.All(frames, length => Assert.True(length <= TransportLimits.MaxSealedMessageSize));
        }
    }

    public static TheoryData<string, string> Rewrites() => new()
    {
        { "noise", "hello-tail" },   // a byte appended to the initiator's hello: it still parses, but the prologue differs
        { "rsa", "hello-tail" },
        { "noise", "greeting" },     // a byte of the initiator's last handshake message (its encrypted greeting) flipped
        { "rsa", "greeting" },
    };

    [Theory]
    [MemberData(nameof(Rewrites))]
    public async Task Handshake_HelloOrGreetingRewrittenByAMiddle_FailsTheHandshake(string mode, string rewrite)
    {
        var (aliceConnection, bobConnection, middle) = RewritingMiddle.Create((index, frame) => (rewrite, index) switch
        {
            ("hello-tail", 0) => [[.. frame, 0x00]],
            ("greeting", _) when index == GreetingFrame(mode) => [Flip(frame, frame.Length - 20)],
            _ => [frame],
        });

        middle.Armed = true;
        await using var _ = middle;
        var greeting = new HandshakeGreeting("alice", ["text"]);
        await using var alice = new FramedSecureChannel(aliceConnection, Module(mode, AliceKey), HandshakeRole.Initiator, Timeout, greeting: greeting);
        await using var bob = new FramedSecureChannel(bobConnection, Module(mode, BobKey), HandshakeRole.Responder, Timeout);
        using var aliceSubscription = alice.Messages.Subscribe(_ => { }, _ => { });
        using var bobSubscription = bob.Messages.Subscribe(_ => { }, _ => { });

        // A rewritten hello: the first side to verify the transcript fails (noise: the initiator, reading the reply; rsa:
        // the responder, checking the initiator's MAC) and closes, as an application does; then the other fails too.
        // A rewritten greeting: the responder fails reading it (over TCP the initiator completed when it wrote it).
        if (rewrite == "hello-tail")
        {
            var first = await Task.WhenAny(alice.Established, bob.Established).WaitAsync(Timeout);
            await Assert.ThrowsAsync<HandshakeException>(() => first);
            await (first == alice.Established ? alice : bob).DisposeAsync();
            var other = first == alice.Established ? bob.Established : alice.Established;
            await Assert.ThrowsAsync<HandshakeException>(() => other.WaitAsync(Timeout));
        }
        else
            await Assert.ThrowsAsync<HandshakeException>(() => bob.Established.WaitAsync(Timeout));
    }

    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    [InlineData("pseudo")]
    public async Task Handshake_Greetings_ReachBothSides(string mode)
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        await using var alice = new FramedSecureChannel(left, Module(mode, AliceKey), HandshakeRole.Initiator, Timeout, greeting: new HandshakeGreeting("alice", ["text", "x-future"]));
        await using var bob = new FramedSecureChannel(right, Module(mode, BobKey), HandshakeRole.Responder, Timeout, greeting: new HandshakeGreeting("bob", ["text"]));
        using var aliceSubscription = alice.Messages.Subscribe(_ => { }, _ => { });
        using var bobSubscription = bob.Messages.Subscribe(_ => { }, _ => { });

        var atAlice = await alice.Established.WaitAsync(Timeout);
        var atBob = await bob.Established.WaitAsync(Timeout);

        Assert.Equal(new HandshakeGreeting("bob", ["text"]).Capabilities, atAlice.PeerGreeting.Capabilities);
        Assert.Equal("bob", atAlice.PeerGreeting.DisplayName);
        Assert.Equal("alice", atBob.PeerGreeting.DisplayName);
        Assert.Equal(["text", "x-future"], atBob.PeerGreeting.Capabilities);
        Assert.Equal(ProtocolHello.CurrentVersion, atAlice.ProtocolVersion);
    }

    /// <summary>The initiator's last handshake message, which carries its greeting: noise's third message, rsa's second (after the hello).</summary>
    private static int GreetingFrame(string mode) => mode == "rsa" ? 1 : 2;

    private static byte[] Flip(byte[] frame, int position)
    {
        var copy = (byte[])frame.Clone();
        copy[position] ^= 0x01;
        return copy;
    }
}
