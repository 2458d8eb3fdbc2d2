using System.Net;
using SecretChat.Tests;
using SecretChat.Transport.Stun;

namespace SecretChat.Transport.Tests.Stun;

/// <summary>Our STUN client against coturn's turnserver (a standard STUN server), on loopback.</summary>
public class CoturnInteropTests
{
    [CoturnFact]
    public async Task StunClient_AgainstCoturn_LearnsItsOwnLoopbackAddress()
    {
        await using var turnserver = TurnServerProcess.Start();
        await using var client = UdpStunClient.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        // The RFC retransmission schedule also covers turnserver's start-up: early requests are simply lost.
        var binding = await client.BindAsync(turnserver.EndPoint).WaitAsync(TimeSpan.FromSeconds(45));

        Assert.Equal(client.LocalEndPoint, binding.MappedAddress);
        Assert.Equal(turnserver.EndPoint, binding.Server);
        Assert.Contains("Coturn", binding.ServerSoftware ?? "", StringComparison.OrdinalIgnoreCase);
    }

    [CoturnFact]
    public async Task StunClient_TwoQueriesFromOneSocket_SeeTheSameMapping()
    {
        await using var turnserver = TurnServerProcess.Start();
        await using var client = UdpStunClient.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        var first = await client.BindAsync(turnserver.EndPoint).WaitAsync(TimeSpan.FromSeconds(45));
        var second = await client.BindAsync(turnserver.EndPoint).WaitAsync(TimeSpan.FromSeconds(45));

        Assert.Equal(first.MappedAddress, second.MappedAddress);
    }
}
