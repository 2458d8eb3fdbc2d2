using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security.Rsa;
using SecretChat.Transport;

namespace SecretChat.Samples;

/// <summary>(3) An interactor of our own: a bot that answers every message, written as an Rx query over the events.</summary>
public static class EchoBot
{
    public static IDisposable Run(IChat chat) => chat.Events
        .OfType<MessageReceived>()
        .Select(message => Observable.FromAsync(ct => chat.SendAsync($"echo: {message.Text}", ct).AsTask()))
        .Concat()
        .Subscribe(_ => { }, _ => { });

    public static async Task RunAsync()
    {
        var (left, right) = InMemoryFrameTransport.CreatePair();
        var botSide = ChatBuilder.Over(right).SecuredBy(new RsaSecurity()).AsResponder().Named("bot").ConnectAsync();
        await using var alice = await ChatBuilder.Over(left).SecuredBy(new RsaSecurity()).Named("alice").ConnectAsync();
        await using var bot = await botSide;
        using var running = Run(bot);

        var answers = alice.Events.OfType<MessageReceived>().Select(m => m.Text).Take(3).ToList().ToTask();
        foreach (var text in new[] { "one", "two", "three" })
            await alice.SendAsync(text);

        var heard = await answers;
        if (!heard.SequenceEqual(["echo: one", "echo: two", "echo: three"]))
            throw new InvalidOperationException($"the bot said {string.Join(", ", heard)}.");
    }
}
