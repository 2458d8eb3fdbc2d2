using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security.Pseudo;
using SecretChat.Transport.Simulation;

namespace SecretChat.Samples;

/// <summary>(4) The UDP stack (handshake, sealing, reliability) over a simulated link that loses, duplicates and reorders.</summary>
public static class LossyLink
{
    public static async Task RunAsync()
    {
        var link = new SimulatedLink(DefaultScheduler.Instance, new SimulatedLinkOptions
        {
            Seed = 42,
            Delay = TimeSpan.FromMilliseconds(2),
            LossRate = 0.2,
            DuplicationRate = 0.05,
            ReorderRate = 0.1,
        });

        var bobSide = ChatBuilder.OverDatagrams(link.B).SecuredBy(new PseudoSecurity()).WithReliability().Named("bob").ConnectAsync();
        await using var alice = await ChatBuilder.OverDatagrams(link.A, link.B.LocalEndPoint).SecuredBy(new PseudoSecurity()).WithReliability()
            .Named("alice").ConnectAsync();
        await using var bob = await bobSide;

        var received = bob.Events.OfType<MessageReceived>().Select(m => m.Text).Take(50).ToList().ToTask();
        for (var i = 0; i < 50; i++)
            await alice.SendAsync($"message {i}");

        var texts = await received;
        if (!texts.SequenceEqual(Enumerable.Range(0, 50).Select(i => $"message {i}")))
            throw new InvalidOperationException("the messages did not arrive whole and in order.");
        Console.WriteLine($"    the link lost {link.Statistics.Lost} of {link.Statistics.Sent} datagrams; every message arrived in order");
    }
}
