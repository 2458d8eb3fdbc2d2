using System.Net;
using System.Text.Json;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Chat;

/// <summary>What <c>/path</c> and the JSON events say of the relay: a standard TURN relay or the signaling server's own.</summary>
public class PathTextTurnTests
{
    private static readonly IPEndPoint Signal = IPEndPoint.Parse("203.0.113.1:3478");
    private static readonly IPEndPoint Turn = IPEndPoint.Parse("203.0.113.1:3479");
    private static readonly IPEndPoint PeerRelayed = IPEndPoint.Parse("203.0.113.1:50012");

    private static PathReport Relayed(IPEndPoint? turn) => new(TransportKind.Udp, PathKind.Relay, turn is null ? Signal : PeerRelayed)
    {
        MeasuresRoundTrip = true,
        PeerToPeer = new PeerToPeerReport(turn ?? Signal, 40000, IPEndPoint.Parse("198.51.100.11:40000"), IPEndPoint.Parse("198.51.100.22:50000"), [], null)
        {
            TurnServer = turn,
        },
    };

    [Fact]
    public void Describe_OnTurn_SaysTheTurnServerRelays()
    {
        var text = PathText.Describe(Relayed(Turn));

        Assert.StartsWith($"path: relay (TURN at {Turn}), peer at {PeerRelayed}", text);
        Assert.Contains($"relay: the TURN server {Turn} forwards the sealed datagrams (it cannot read or alter them)", text);
    }

    [Fact]
    public void Describe_OnTheBuiltInRelay_SaysTheSignalingServerRelays()
    {
        var text = PathText.Describe(Relayed(null));

        Assert.StartsWith($"path: relay (signaling server), peer at {Signal}", text);
        Assert.Contains($"relay: the signaling server {Signal} forwards", text);
    }

    [Fact]
    public void NameWithRelay_Direct_IsJustDirect()
    {
        Assert.Equal("direct", PathText.NameWithRelay(PathKind.Direct, Relayed(Turn)));
        Assert.Null(PathText.RelayKind(new PathReport(TransportKind.Udp, PathKind.Direct, Signal)));
    }

    [Fact]
    public void JsonPathChanged_OnTurn_NamesTheTurnServerAsTheRelay()
    {
        var output = new StringWriter();
        new JsonEventWriter(output).Write(new PathChanged(PathKind.Relay, PeerRelayed, PathMoveReason.RelayLost, Relayed(Turn)));
        var json = JsonDocument.Parse(output.ToString()).RootElement;

        Assert.Equal("relay", json.GetProperty("path").GetString());
        Assert.Equal($"TURN at {Turn}", json.GetProperty("relay_kind").GetString());
        Assert.Equal(Turn.ToString(), json.GetProperty("relay").GetString());
        Assert.Equal("the TURN relay stopped relaying; the signaling server relays instead", json.GetProperty("reason").GetString());
    }
}
