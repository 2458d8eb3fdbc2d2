using Microsoft.Reactive.Testing;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security;

namespace SecretChat.App.Tests.Composition;

public class UdpChatListenerTests
{
    [Fact]
    public async Task IdleUdpListener_WaitsForAPeer_WithoutDeclaringAnyoneDead()
    {
        var scheduler = new TestScheduler();
        var connector = new ChatConnector(scheduler);
        await using var listener = await connector.ListenAsync(new ChatOptions
        {
            Transport = ChatTransport.Udp,
            EndPoint = "127.0.0.1:0",
            Encryption = BuiltInModules.Pseudo,
            Name = "bob",
        });
        var rejections = new List<string>();
        using var _ = listener.Rejections.Subscribe(rejections.Add);
        var accepting = listener.AcceptAsync();

        // Far past the dead-peer timeout (30 s) and the handshake timeout (10 s), with nobody there.
        scheduler.AdvanceBy(TimeSpan.FromMinutes(2).Ticks);
        Assert.False(accepting.IsCompleted);

        // Then a peer arrives and becomes the listener's first session: nobody was rejected before it
        // (a rejection would have been reported before the listener could take this peer).
        await using var alice = await new ChatConnector().ConnectAsync(new ChatOptions
        {
            Transport = ChatTransport.Udp,
            EndPoint = listener.LocalEndPoint.ToString()!,
            Encryption = BuiltInModules.Pseudo,
            Name = "alice",
        }).WaitAsync(TimeSpan.FromSeconds(30));
        var bob = await accepting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(rejections);
        var closing = bob.DisposeAsync().AsTask();
        scheduler.AdvanceBy(TimeSpan.FromSeconds(10).Ticks); // bob's clock: let its close linger run out
        await closing.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
