using SecretChat.Fuzz.Targets;

namespace SecretChat.Fuzz;

/// <summary>Every fuzz target, by the name the runner, the corpus folders and the replay tests use.</summary>
public static class FuzzTargets
{
    /// <summary>The targets, one per parser that reads the network.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("frame-stream", "LengthPrefixedFrameCodec (TCP stream frames)", FramingTargets.LengthPrefixedFrames),
        new("envelope", "EnvelopeCodec (chat message header)", FramingTargets.Envelope),
        new("close-body", "CloseBody (close frame reason)", FramingTargets.CloseReason),
        new("packet", "PacketCodec (UDP packet header)", FramingTargets.Packet),
        new("reliability", "ReliabilityPacket (reliable UDP sub-protocol)", TransportTargets.Reliability),
        new("stun", "StunMessage (STUN and TURN messages and attributes)", TransportTargets.Stun),
        new("turn-channel-data", "TurnChannelData (TURN ChannelData)", TransportTargets.ChannelData),
        new("signaling", "SignalingCodec (signaling datagrams)", SignalingTargets.Signaling),
        new("hello", "ProtocolHello (the first bytes of every connection)", HandshakeTargets.Hello),
        new("handshake-payload", "HandshakePayload (hello echo, name, capabilities)", HandshakeTargets.Payload),
        new("noise-handshake", "Noise XX and XXhfs handshake messages", HandshakeTargets.Noise),
        new("datagram-established", "SecureDatagramChannel.Receive, established session", DatagramTargets.Established),
        new("datagram-handshaking", "SecureDatagramChannel.Receive, before the handshake", DatagramTargets.Handshaking),
    ];

    /// <summary>The target named <paramref name="name"/>, or null.</summary>
    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
