using System.Globalization;
using System.Net;

namespace SecretChat.NatLab.Tests.Harness;

/// <summary>
/// <c>secretchat signal</c> on the lab's internet and <c>secretchat p2p</c> on its hosts, as a scenario starts them:
/// the server first, the peers once it answers STUN (its own readiness signal), keys in a scratch folder.
/// </summary>
public sealed class PeerToPeerRun(Lab lab, TempDirectory home, int peerTimeoutSeconds = 30)
{
    public Lab Lab { get; } = lab;

    public string Room { get; } = $"room-{lab.Id}";

    public SecretChatProcess? Signal { get; private set; }

    /// <summary>A second STUN destination the peers are given after the server in <c>--signal</c> (to learn their NATs' mappings), once started.</summary>
    public IPEndPoint? SecondServer { get; private set; }

    /// <summary>Starts the signaling server and waits until it answers a STUN binding request.</summary>
    public async Task StartSignalAsync(params string[] extra)
    {
        // With IPv6 in the lab, on both families (the program's default, [::]); the IPv4 scenarios as they always ran.
        var listen = Lab.Layout.Ip == LabIp.V4 ? $"0.0.0.0:{Lab.SignalPort}" : $"[::]:{Lab.SignalPort}";
        Signal = Lab.StartSecretChat("signal", Lab.Internet, ["signal", "--listen", listen, .. extra]);
        var probe = await Lab.OpenUdpSocketAsync(Lab.Internet, new IPEndPoint(Lab.Internet.Address, 0));
        await StunProbe.BindingAsync(probe, Lab.SignalEndPoint, Timeouts.Startup);
    }

    /// <summary>
    /// Starts a second <c>secretchat signal</c> on <paramref name="port"/> of the lab's internet host, waits until it
    /// answers STUN, and names it in the peers' <c>--signal</c> from now on.
    /// </summary>
    public async Task StartSecondServerAsync(int port)
    {
        var second = new IPEndPoint(Lab.Internet.Address, port);
        Lab.StartSecretChat("stun2", Lab.Internet, ["signal", "--listen", $"0.0.0.0:{port}"]);
        var probe = await Lab.OpenUdpSocketAsync(Lab.Internet, new IPEndPoint(Lab.Internet.Address, 0));
        await StunProbe.BindingAsync(probe, second, Timeouts.Startup);
        SecondServer = second;
    }

    /// <summary>The server, then alice and bob in one room.</summary>
    public async Task<(SecretChatProcess Alice, SecretChatProcess Bob)> StartPeersAsync(params string[] extra)
    {
        await StartSignalAsync();
        return (StartPeer(Lab.Alice, extra), StartPeer(Lab.Bob, extra));
    }

    public SecretChatProcess StartPeer(LabHost host, params string[] extra) => Lab.StartSecretChat(
        host.Name,
        host,
        [
            "p2p", "--room", Room, "--signal", SecondServer is { } second ? $"{Lab.SignalEndPoint},{second}" : Lab.SignalEndPoint.ToString(), "--json",
            "--name", host.Name,
            "--identity", home.File($"{host.Name}.key"),
            "--known-peers", home.File($"{host.Name}-known-peers.json"),
            "--timeout", peerTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
            .. extra,
        ]);
}
