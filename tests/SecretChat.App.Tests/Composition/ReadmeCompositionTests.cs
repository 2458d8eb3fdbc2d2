using System.Net;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.App.Chat;
using SecretChat.App.Composition;
using SecretChat.Security.Rsa;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Composition;

/// <summary>The README's "Composing your own pipeline" example, run as written against a real peer.</summary>
public class ReadmeCompositionTests
{
    [Fact]
    public async Task ReadmeExample_ConnectsSendsAndFinishes()
    {
        await using var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var port = listener.LocalEndPoint.Port;
        var bobSide = Task.Run(async () =>
        {
            await using var bob = ChatBuilder.Over(await listener.AcceptAsync()).SecuredBy(new RsaSecurity()).AsResponder().Named("bob").Start();
            var received = bob.Events.OfType<MessageReceived>().FirstAsync().ToTask();
            await bob.FinishAsync();
            return (await received).Text;
        });
        var printed = new List<string>();

        // --- begin README example (Console.WriteLine captured as printed.Add) ---
        var connection = await TcpTransport.ConnectAsync("127.0.0.1", port);
        await using var chat = await ChatBuilder
            .Over(connection)                 // any IFrameConnection: TCP, InMemoryFrameTransport, yours
            .SecuredBy(new RsaSecurity())     // any ISecurityModule: NoiseSecurity, RsaSecurity, PseudoSecurity, yours
            .AsInitiator()
            .Named("alice")
            .ConnectAsync();                  // returns once the peer is connected

        chat.Events.OfType<MessageReceived>().Subscribe(m => printed.Add($"{m.From}: {m.Text}"));
        await chat.SendAsync("hello from my own pipeline");
        await chat.FinishAsync();             // waits for the peer to finish and for every ack
        // --- end README example ---

        Assert.Equal("hello from my own pipeline", await bobSide.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(printed);
    }
}
