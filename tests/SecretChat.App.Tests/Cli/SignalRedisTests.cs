using System.Net;
using SecretChat.Cli.Interaction;
using SecretChat.App.Tests.Fakes;
using SecretChat.Signaling;
using SecretChat.Tests;

namespace SecretChat.App.Tests.Cli;

/// <summary><c>secretchat signal --redis HOST:PORT --node-address ADDR:PORT</c> and the settings behind them.</summary>
public class SignalRedisTests
{
    [Fact]
    public async Task Signal_RedisNotListening_OneSentenceAndExitsOne()
    {
        using var app = new TestApp();
        var redis = $"127.0.0.1:{LoopbackPorts.UnusedTcp()}";

        Assert.Equal(ExitCodes.Failure, await app.RunAsync($"signal --listen 127.0.0.1:0 --redis {redis}"));

        Assert.Equal(
            $"Cannot reach Redis at {redis}: start redis-server there, or leave out --redis (and Signaling:Redis) to keep the rooms in this process.",
            app.Console.ErrorText.Trim());
    }

    [Theory]
    [InlineData("signal --redis nowhere", "is not a valid --redis")]
    [InlineData("signal --redis 127.0.0.1:6379 --node-address 0.0.0.0:3478", "is not a valid --node-address")]
    [InlineData("signal --redis 127.0.0.1:6379 --node-address signal.example.org:3478", "is not a valid --node-address")]
    [InlineData("signal --redis 127.0.0.1:6379 --node-address 203.0.113.7:0", "is not a valid --node-address")]
    public async Task Signal_FlagThatIsNotAnAddress_IsAUsageErrorNamingIt(string commandLine, string expected)
    {
        using var app = new TestApp();

        Assert.Equal(ExitCodes.Usage, await app.RunAsync(commandLine));

        Assert.Contains(expected, app.Console.ErrorText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signal_NodeAddressWithoutRedis_IsRefusedWithASentence()
    {
        using var app = new TestApp();

        Assert.NotEqual(ExitCodes.Success, await app.RunAsync("signal --listen 127.0.0.1:0 --node-address 203.0.113.7:3478"));

        Assert.Contains("--node-address only matters with --redis HOST:PORT", app.Console.ErrorText, StringComparison.Ordinal);
    }

    [RedisFact]
    public async Task Signal_WithRedis_SaysSoAndServesRegistrations()
    {
        await using var redis = await RedisServer.StartAsync();
        using var app = new TestApp();
        using var interrupt = new CancellationTokenSource();
        var run = app.StartAsync($"signal --listen 127.0.0.1:0 --redis {redis.Address} --node-address 127.0.0.1:3999", interrupt.Token);

        await app.Console.WaitForOutputAsync("to the others", TestApp.Timeout);
        var line = app.Console.OutLines[0];
        var port = int.Parse(line.Split(' ')[5].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        await using (var alice = new LoopbackPeer(new IPEndPoint(IPAddress.Loopback, port)))
        {
            var waiting = alice.Rendezvous.RegisterAsync("shared", []);
            await using var bob = new LoopbackPeer(new IPEndPoint(IPAddress.Loopback, port));
            var match = await bob.Rendezvous.RegisterAsync("shared", []).WaitAsync(TestApp.Timeout);
            // Matched, one role each: which one depends on whose Register reached the server first (alice's is not
            // awaited before bob's, so under load either may), and that order is the rendezvous tests' subject, not this one's.
            var roles = new[] { match.Role, (await waiting.WaitAsync(TestApp.Timeout)).Role };
            Assert.Equal([PeerRole.Initiator, PeerRole.Responder], roles.Order());
        }

        await interrupt.CancelAsync();
        Assert.Equal(ExitCodes.Success, await run.WaitAsync(TestApp.Timeout));
        Assert.Contains($"rooms shared through Redis at {redis.Address}; this node is 127.0.0.1:3999 to the others", app.Console.OutText, StringComparison.Ordinal);
    }
}
