using SecretChat.Transport.Stun;

namespace SecretChat.Signaling.Tests;

/// <summary>What a well-behaved client adds to its packets, for tests that play the client by hand against <see cref="Rendezvous"/>.</summary>
internal static class ServerHarness
{
    /// <summary>What our STUN clients send (netcheck names itself in SOFTWARE): large enough for the server's answer to fit.</summary>
    public static readonly StunClientOptions PaddedStun = new() { Software = "SecretChat netcheck" };

    /// <summary>A Binding request of 52 bytes (SOFTWARE and FINGERPRINT), as netcheck sends: the bare answer fits in it over IPv4 and IPv6.</summary>
    public static byte[] BindingRequest(StunTransactionId id) =>
        new StunMessageBuilder(StunMessageType.BindingRequest, id).AddSoftware("SecretChat netcheck").AddFingerprint().ToArray();

    /// <summary><paramref name="packet"/> with the token the server gave its peer id, when it carries none.</summary>
    public static SignalingPacket WithToken(SignalingPacket packet, IReadOnlyDictionary<PeerId, MemberToken> tokens) => packet switch
    {
        KeepAlivePacket { Token.IsNone: true } p => p with { Token = tokens.GetValueOrDefault(p.Peer) },
        LeavePacket { Token.IsNone: true } p => p with { Token = tokens.GetValueOrDefault(p.Peer) },
        RelayPacket { Token.IsNone: true } p => p with { Token = tokens.GetValueOrDefault(p.Peer) },
        _ => packet,
    };

    /// <summary>When the only answer to a Register or KeepAlive was a Cookie: the packet again, with it. Null otherwise.</summary>
    public static SignalingPacket? WithCookie(SignalingPacket sent, IReadOnlyList<(System.Net.IPEndPoint To, SignalingPacket Packet)> replies) =>
        replies is [(_, CookiePacket cookie)]
            ? sent switch
            {
                RegisterPacket p => p with { Cookie = cookie.Cookie },
                KeepAlivePacket p => p with { Cookie = cookie.Cookie },
                _ => null,
            }
            : null;

    /// <summary>Keeps the tokens the server handed out in Registered and PeerInfo packets.</summary>
    public static void Remember(IEnumerable<SignalingPacket> replies, Dictionary<PeerId, MemberToken> tokens)
    {
        foreach (var reply in replies)
        {
            if (reply is RegisteredPacket registered)
                tokens[registered.Peer] = registered.Token;
            else if (reply is PeerInfoPacket info)
                tokens[info.Peer] = info.Token;
        }
    }
}
