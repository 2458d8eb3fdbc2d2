using System.Net;
using SecretChat.Chat;
using SecretChat.Cli.Interaction;
using SecretChat.Security;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Interaction;

/// <summary>The sentences users and scripts read for transports, paths and moves stay exactly what they were.</summary>
public sealed class PathTextTests
{
    [Theory]
    [InlineData(TransportKind.Tcp, "tcp")]
    [InlineData(TransportKind.Udp, "udp")]
    [InlineData(TransportKind.InMemory, "in-memory")]
    [InlineData(TransportKind.Other, "other")]
    public void Name_Transport_IsTheJsonValue(TransportKind transport, string expected) => Assert.Equal(expected, PathText.Name(transport));

    [Theory]
    [InlineData(PathKind.Direct, "direct")]
    [InlineData(PathKind.Relay, "relay")]
    public void Name_Path_IsTheJsonValue(PathKind path, string expected) => Assert.Equal(expected, PathText.Name(path));

    [Theory]
    [InlineData(PathMoveReason.Roamed, "the peer's address changed (NAT rebinding)")]
    [InlineData(PathMoveReason.Upgraded, "a direct path to the peer answered")]
    [InlineData(PathMoveReason.FollowedPeerToRelay, "the peer moved to the relay: nothing arrives on the direct path any more")]
    [InlineData(PathMoveReason.DirectSilent, "the direct path stopped answering for 3 s")]
    public void Reason_EachMove_IsItsSentence(PathMoveReason reason, string expected) => Assert.Equal(expected, PathText.Reason(reason));

    [Fact]
    public void Failure_NoDirectHandshake_SaysHowLongAndWhatWasTried()
    {
        var failure = DirectPathFailure.NoHandshake(TimeSpan.FromSeconds(2), [IPEndPoint.Parse("10.0.0.2:5000"), IPEndPoint.Parse("198.51.100.2:6000")]);

        Assert.Equal("no direct path completed a handshake within 2 s (tried 10.0.0.2:5000, 198.51.100.2:6000)", PathText.Failure(failure));
    }

    [Fact]
    public void Describe_StreamChannel_NamesPathTransportAndPeer()
    {
        Assert.Equal("path: direct over tcp\npeer: 127.0.0.1:5000",
            PathText.Describe(new PathReport(TransportKind.Tcp, PathKind.Direct, IPEndPoint.Parse("127.0.0.1:5000"))));
        Assert.Equal("path: direct over tcp\npeer: unknown", PathText.Describe(new PathReport(TransportKind.Tcp, PathKind.Direct, null)));
    }

    [Fact]
    public void Describe_PlainUdpSession_AddsTheRoundTrip()
    {
        var report = new PathReport(TransportKind.Udp, PathKind.Direct, IPEndPoint.Parse("127.0.0.1:5000")) { MeasuresRoundTrip = true };

        Assert.Equal("path: direct over udp, peer at 127.0.0.1:5000, round trip not measured yet", PathText.Describe(report));
        Assert.Equal("path: direct over udp, peer at 127.0.0.1:5000, round trip 17 ms",
            PathText.Describe(report with { RoundTrip = TimeSpan.FromMilliseconds(17) }));
    }
}
