using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Text;

namespace SecretChat.Security.Tests.Channels;

/// <summary>
/// A passive listener on the path records every frame in both directions, from the first handshake message on. In
/// noise and rsa it never sees the text of a message; in pseudo it does (the control that shows the recorder would have
/// caught it, and the reason the app prints NOT ENCRYPTED).
/// </summary>
public sealed class PassiveListenerTests : TwoPeersTest
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string Secret = "the vault code is 4711";

    [Theory]
    [InlineData("noise", false)]
    [InlineData("rsa", false)]
    [InlineData("pseudo", true)]
    public async Task Session_EveryFrameRecordedOnThePath_HoldsTheTextOnlyInPseudo(string mode, bool textVisible)
    {
        var recorded = new List<byte[]>();
        var (aliceConnection, bobConnection, middle) = RewritingMiddle.Create(
            (_, frame) => { Record(frame); return [frame]; },
            Record);
        void Record(byte[] frame)
        {
            lock (recorded)
                recorded.Add(frame);
        }

        middle.Armed = true; // before the first handshake message
        await using var _ = middle;
        await using var alice = new FramedSecureChannel(aliceConnection, Module(mode, AliceKey), HandshakeRole.Initiator, Timeout);
        await using var bob = new FramedSecureChannel(bobConnection, Module(mode, BobKey), HandshakeRole.Responder, Timeout);
        var bobGot = bob.Messages.Select(m => Encoding.UTF8.GetString(m)).FirstAsync().ToTask();
        var aliceGot = alice.Messages.Select(m => Encoding.UTF8.GetString(m)).FirstAsync().ToTask();
        await alice.Established.WaitAsync(Timeout);
        await bob.Established.WaitAsync(Timeout);

        await alice.SendAsync(Encoding.UTF8.GetBytes("alice says: " + Secret));
        await bob.SendAsync(Encoding.UTF8.GetBytes("bob says: " + Secret));
        Assert.Equal("alice says: " + Secret, await bobGot.WaitAsync(Timeout));
        Assert.Equal("bob says: " + Secret, await aliceGot.WaitAsync(Timeout));

        var secret = Encoding.UTF8.GetBytes(Secret);
        int seen;
        lock (recorded)
            seen = recorded.Count(frame => frame.AsSpan().IndexOf(secret) >= 0);
        Assert.Equal(textVisible ? 2 : 0, seen);
    }
}
