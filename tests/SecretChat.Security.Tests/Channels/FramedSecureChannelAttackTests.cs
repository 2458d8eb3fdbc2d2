using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;

namespace SecretChat.Security.Tests.Channels;

/// <summary>
/// A man in the middle between two real sessions (noise and rsa, over framed connections) rewrites one sealed frame
/// after the handshake. The receiver must fail with <see cref="AuthenticationFailedException"/>, deliver nothing
/// forged (only what came before the attack), and the sender must learn that the session ended.
/// </summary>
public sealed class FramedSecureChannelAttackTests : TwoPeersTest
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>The attacked frame: the second sealed frame after the handshake (the first passes untouched).</summary>
    private const int Attacked = 1;

    public static TheoryData<string, string> Attacks()
    {
        var data = new TheoryData<string, string>();
        foreach (var mode in new[] { "noise", "rsa" })
        {
            foreach (var attack in new[] { "flip-ciphertext", "flip-tag", "replay", "reorder", "drop", "truncate", "truncate-below-tag", "empty" })
                data.Add(mode, attack);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Session_FrameRewrittenAfterTheHandshake_ReceiverFailsAuthenticationAndSenderLearnsTheEnd(string mode, string attack)
    {
        var (aliceConnection, bobConnection, middle) = RewritingMiddle.Create(Rewrite(attack));
        await using var _ = middle;
        await using var alice = new FramedSecureChannel(aliceConnection, Module(mode, AliceKey), HandshakeRole.Initiator, Timeout);
        await using var bob = new FramedSecureChannel(bobConnection, Module(mode, BobKey), HandshakeRole.Responder, Timeout);
        var delivered = new List<string>();
        var bobEnded = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var bobSubscription = bob.Messages.Subscribe(
            message => { lock (delivered) delivered.Add(Encoding.UTF8.GetString(message)); },
            error => bobEnded.TrySetResult(error),
            () => bobEnded.TrySetResult(null));
        var aliceEnded = alice.Messages.Materialize().Where(n => n.Kind != System.Reactive.NotificationKind.OnNext).FirstAsync().ToTask();
        await alice.Established.WaitAsync(Timeout);
        await bob.Established.WaitAsync(Timeout);

        middle.Armed = true;
        for (var i = 0; i < 4; i++)
            await alice.SendAsync(Encoding.UTF8.GetBytes($"message {i}"));

        var error = await bobEnded.Task.WaitAsync(Timeout);
        Assert.IsType<AuthenticationFailedException>(error);
        lock (delivered)
            Assert.Equal(["message 0"], delivered);

        // What a chat session does when its channel fails: it says it is done and closes.
        await bob.CompleteAsync();
        await bob.DisposeAsync();
        var aliceEnd = await aliceEnded.WaitAsync(Timeout);
        Assert.NotEqual(System.Reactive.NotificationKind.OnNext, aliceEnd.Kind);
        lock (delivered)
            Assert.Equal(["message 0"], delivered);
    }

    [Theory]
    [InlineData("noise")]
    [InlineData("rsa")]
    public async Task Session_MiddleThatOnlyRelays_DeliversEverything(string mode)
    {
        // The control: the same middle with an identity rewrite breaks nothing, so the failures above are the attacks'.
        var (aliceConnection, bobConnection, middle) = RewritingMiddle.Create((_, frame) => [frame]);
        await using var _ = middle;
        await using var alice = new FramedSecureChannel(aliceConnection, Module(mode, AliceKey), HandshakeRole.Initiator, Timeout);
        await using var bob = new FramedSecureChannel(bobConnection, Module(mode, BobKey), HandshakeRole.Responder, Timeout);
        var bobGot = bob.Messages.Select(m => Encoding.UTF8.GetString(m)).Take(4).ToList().ToTask();
        using var aliceSubscription = alice.Messages.Subscribe(_ => { }, _ => { });
        await alice.Established.WaitAsync(Timeout);
        await bob.Established.WaitAsync(Timeout);

        middle.Armed = true;
        for (var i = 0; i < 4; i++)
            await alice.SendAsync(Encoding.UTF8.GetBytes($"message {i}"));

        Assert.Equal(["message 0", "message 1", "message 2", "message 3"], await bobGot.WaitAsync(Timeout));
    }

    private static Func<int, byte[], IEnumerable<byte[]>> Rewrite(string attack)
    {
        byte[]? first = null;
        byte[]? held = null;
        return (index, frame) =>
        {
            if (index == 0)
                first = frame;
            if (index != Attacked && !(attack == "reorder" && index == Attacked + 1))
                return [frame];
            switch (attack)
            {
                case "flip-ciphertext":
                    frame[0] ^= 0x01;
                    return [frame];
                case "flip-tag":
                    frame[^1] ^= 0x80;
                    return [frame];
                case "replay":
                    return [first!];
                case "reorder":
                    if (index == Attacked)
                    {
                        held = frame;
                        return [];
                    }
                    return [frame, held!];
                case "drop":
                    return [];
                case "truncate":
                    return [frame[..^1]];
                case "truncate-below-tag":
                    return [frame[..15]];
                default:
                    return [Array.Empty<byte>()];
            }
        };
    }
}
