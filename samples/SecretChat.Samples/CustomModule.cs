using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Security.Cryptography;
using SecretChat.Chat;
using SecretChat.Chat.Composition;

namespace SecretChat.Samples;

/// <summary>(1) <c>listen</c> and <c>connect</c>, as the command line runs them, with a module given in code.</summary>
public static class CustomModule
{
    public static async Task RunAsync(bool overUdp)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        // The connector makes a fresh choice per connect or listen; the module has no identities to verify.
        var connector = new ChatConnector(security: _ => SecurityChoice.AcceptingAnyPeer(new PskSecurity(key)));
        var options = new ChatOptions
        {
            Transport = overUdp ? ChatTransport.Udp : ChatTransport.Tcp,
            EndPoint = "127.0.0.1:0",
            Name = "bob",
        };

        await using var listener = await connector.ListenAsync(options);
        var accepting = listener.AcceptAsync();
        await using var alice = await connector.ConnectAsync(options with { EndPoint = listener.LocalEndPoint.ToString()!, Name = "alice" });
        await using var bob = await accepting;

        var heard = bob.Events.OfType<MessageReceived>().FirstAsync().ToTask();
        await alice.SendAsync("sealed with a key we share");
        var message = await heard;
        var connected = await bob.Events.OfType<Connected>().FirstAsync().ToTask();
        if (message.Text != "sealed with a key we share" || connected.Encryption.Id != "psk-demo")
            throw new InvalidOperationException($"bob heard '{message.Text}' over {connected.Encryption.Id}.");
        await Task.WhenAll(alice.FinishAsync(), bob.FinishAsync());
    }
}
