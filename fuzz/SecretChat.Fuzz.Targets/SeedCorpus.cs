using System.Buffers;
using System.Net;
using SecretChat.Framing;
using SecretChat.Framing.Packets;
using SecretChat.Fuzz.Targets;
using SecretChat.Security;
using SecretChat.Security.Noise;
using SecretChat.Security.Rsa;
using SecretChat.Signaling;
using SecretChat.Transport.Reliability;
using SecretChat.Transport.Stun;
using SecretChat.Transport.Turn;

namespace SecretChat.Fuzz;

/// <summary>
/// The seed corpus: what our own encoders put on the wire in a short run of each protocol (a handshake and a chat
/// exchange over UDP, STUN and TURN messages, every signaling packet), plus the repository's STUN test vectors.
/// </summary>
public static class SeedCorpus
{
    /// <summary>The seeds of every target, by target name then file name.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, byte[]>> Build(string repositoryRoot)
    {
        var seeds = new Dictionary<string, IReadOnlyDictionary<string, byte[]>>
        {
            ["frame-stream"] = Frames(),
            ["envelope"] = Envelopes(),
            ["close-body"] = CloseBodies(),
            ["reliability"] = Reliability(),
            ["stun"] = Stun(repositoryRoot),
            ["turn-channel-data"] = ChannelData(),
            ["signaling"] = Signaling(),
            ["hello"] = Hellos(),
            ["handshake-payload"] = new Dictionary<string, byte[]>
            {
                ["seed-responder-greeting"] = NoiseTranscript.Payloads[1],
                ["seed-initiator-greeting"] = NoiseTranscript.Payloads[2],
                ["seed-echo-only"] = HandshakePayload.Encode(HandshakeTargets.Fixed(4, 16), null),
            },
            ["noise-handshake"] = Noise(),
        };
        var (packets, established, handshaking) = Datagrams();
        seeds["packet"] = packets;
        seeds["datagram-established"] = established;
        seeds["datagram-handshaking"] = handshaking;
        return seeds;
    }

    /// <summary>Writes the seeds into <c>corpus/&lt;target&gt;/</c> under <paramref name="corpusRoot"/>; returns how many.</summary>
    public static int Write(string repositoryRoot, string corpusRoot)
    {
        var count = 0;
        foreach (var (target, files) in Build(repositoryRoot))
        {
            var folder = Path.Combine(corpusRoot, target);
            Directory.CreateDirectory(folder);
            foreach (var (name, bytes) in files)
            {
                File.WriteAllBytes(Path.Combine(folder, name), bytes);
                count++;
            }
        }
        return count;
    }

    private static Dictionary<string, byte[]> Frames()
    {
        byte[] Framed(params byte[][] payloads)
        {
            var output = new ArrayBufferWriter<byte>();
            foreach (var payload in payloads)
                LengthPrefixedFrameCodec.Encode(payload, output);
            return output.WrittenSpan.ToArray();
        }
        var hello = ProtocolHello.Local(new NoiseSecurity(SecretChat.Security.Identity.StaticKeyPair.FromPrivateKey(HandshakeTargets.Fixed(1, 32))), HandshakeRole.Initiator).ToArray();
        var chat = new byte[EnvelopeCodec.GetEncodedLength(5)];
        EnvelopeCodec.Encode(new EnvelopeHeader(EnvelopeKind.Text, 1, 1_700_000_000_000), "hello"u8, chat);
        return new()
        {
            ["seed-hello-frame"] = Framed(hello),
            ["seed-handshake-frames"] = Framed(hello, NoiseTranscript.Of(false).Messages[0], NoiseTranscript.Of(false).Messages[1]),
            ["seed-chat-frame"] = Framed(chat),
            ["seed-empty-frame"] = Framed([]),
            ["seed-truncated"] = Framed(chat)[..^3],
            ["seed-too-large-header"] = [0x00, 0x01, 0x00, 0x00, 0x41],
        };
    }

    private static Dictionary<string, byte[]> Envelopes()
    {
        var seeds = new Dictionary<string, byte[]>();
        foreach (var kind in Enum.GetValues<EnvelopeKind>())
        {
            var body = kind == EnvelopeKind.Close ? new CloseBody(CloseReason.Orderly, "bye").Encode() : "héllo"u8.ToArray();
            var bytes = new byte[EnvelopeCodec.GetEncodedLength(body.Length)];
            EnvelopeCodec.Encode(new EnvelopeHeader(kind, 42, 1_700_000_000_000), body, bytes);
            seeds[$"seed-{kind.ToString().ToLowerInvariant()}"] = bytes;
        }
        return seeds;
    }

    private static Dictionary<string, byte[]> CloseBodies()
    {
        var seeds = new Dictionary<string, byte[]> { ["seed-empty"] = [] };
        foreach (var reason in Enum.GetValues<CloseReason>())
            seeds[$"seed-{reason.ToString().ToLowerInvariant()}"] = new CloseBody(reason, "the peer closed ✓").Encode();
        return seeds;
    }

    private static Dictionary<string, byte[]> Reliability()
    {
        var data = new byte[ReliabilityPacket.DataHeaderSize + 5];
        ReliabilityPacket.WriteData(data, ReliabilityPacket.FirstFlag | ReliabilityPacket.LastFlag, 7, 3, "hello"u8);
        var ack = new byte[ReliabilityPacket.AckHeaderSize + 2 * ReliabilityPacket.AckRangeSize];
        ReliabilityPacket.WriteAckHeader(ack, 9, 2);
        ReliabilityPacket.WriteRange(ack, 0, 1, 2);
        ReliabilityPacket.WriteRange(ack, 1, 3, 1);
        var keepAlive = new byte[ReliabilityPacket.KeepAliveSize];
        ReliabilityPacket.WriteKeepAlive(keepAlive, 12);
        var close = new byte[ReliabilityPacket.CloseSize];
        ReliabilityPacket.WriteClose(close, 13, 12);
        return new() { ["seed-data"] = data, ["seed-ack"] = ack, ["seed-keepalive"] = keepAlive, ["seed-close"] = close };
    }

    private static Dictionary<string, byte[]> Stun(string repositoryRoot)
    {
        var id = StunTransactionId.Read(HandshakeTargets.Fixed(10, StunTransactionId.Length));
        var peer = new IPEndPoint(IPAddress.Parse("192.0.2.7"), 40000);
        var peer6 = new IPEndPoint(IPAddress.Parse("2001:db8::7"), 40001);
        var key = "fuzz-integrity-key"u8;
        StunMessageBuilder Of(ushort method, StunClass @class) => new(new StunMessageType(method, @class), id);
        var seeds = new Dictionary<string, byte[]>
        {
            ["seed-binding-request"] = Of(StunMessageType.BindingMethod, StunClass.Request).AddSoftware("secretchat").AddFingerprint().ToArray(),
            ["seed-binding-success"] = Of(StunMessageType.BindingMethod, StunClass.SuccessResponse).AddXorMappedAddress(peer).AddMappedAddress(peer).AddFingerprint().ToArray(),
            ["seed-binding-success-v6"] = Of(StunMessageType.BindingMethod, StunClass.SuccessResponse).AddXorMappedAddress(peer6).ToArray(),
            ["seed-allocate-401"] = Of(StunMessageType.AllocateMethod, StunClass.ErrorResponse).AddErrorCode(401, "Unauthorized").AddRealm("secretchat").AddNonce("abcdef0123456789").ToArray(),
            ["seed-allocate-request"] = Of(StunMessageType.AllocateMethod, StunClass.Request).AddRequestedTransport(17).AddLifetime(TimeSpan.FromMinutes(10))
                .AddUsername("1700000000:alice").AddRealm("secretchat").AddNonce("abcdef0123456789").AddMessageIntegrity(key).AddFingerprint().ToArray(),
            ["seed-allocate-success"] = Of(StunMessageType.AllocateMethod, StunClass.SuccessResponse).AddXorRelayedAddress(peer).AddXorMappedAddress(peer6)
                .AddLifetime(TimeSpan.FromMinutes(10)).AddMessageIntegrity(key).AddFingerprint().ToArray(),
            ["seed-channel-bind"] = Of(StunMessageType.ChannelBindMethod, StunClass.Request).AddChannelNumber(0x4001).AddXorPeerAddress(peer).AddMessageIntegrity(key).ToArray(),
            ["seed-create-permission"] = Of(StunMessageType.CreatePermissionMethod, StunClass.Request).AddXorPeerAddress(peer).AddXorPeerAddress(peer6).ToArray(),
            ["seed-send-indication"] = Of(StunMessageType.SendMethod, StunClass.Indication).AddXorPeerAddress(peer).AddData("hello"u8).ToArray(),
            ["seed-data-indication"] = Of(StunMessageType.DataMethod, StunClass.Indication).AddXorPeerAddress(peer6).AddData("hello"u8).ToArray(),
            ["seed-unknown-attributes"] = Of(StunMessageType.BindingMethod, StunClass.ErrorResponse).AddErrorCode(420, "Unknown Attribute").AddUnknownAttributes([0x0002, 0x7FFF]).ToArray(),
        };
        // The vectors the STUN tests already use (sources and licences in tests/vectors/README.md).
        var vectors = Path.Combine(repositoryRoot, "tests", "vectors", "stun");
        if (File.Exists(Path.Combine(vectors, "pion_ex1_chrome.stun")))
            seeds["vector-pion-ex1-chrome"] = File.ReadAllBytes(Path.Combine(vectors, "pion_ex1_chrome.stun"));
        var regressions = Path.Combine(vectors, "pion_fuzz_regressions");
        if (Directory.Exists(regressions))
        {
            foreach (var file in Directory.EnumerateFiles(regressions).Order(StringComparer.Ordinal))
                seeds[$"vector-pion-{Path.GetFileName(file)}"] = File.ReadAllBytes(file);
        }
        return seeds;
    }

    private static Dictionary<string, byte[]> ChannelData()
    {
        var data = new byte[TurnChannelData.HeaderLength + 8];
        var written = TurnChannelData.Encode(0x4001, "hello"u8, data);
        var padded = data; // 5 bytes of data padded to 8, as over TCP
        return new() { ["seed-unpadded"] = data[..written], ["seed-padded"] = padded };
    }

    private static Dictionary<string, byte[]> Signaling()
    {
        var me = new PeerId(0x0102030405060708);
        var other = new PeerId(0x1112131415161718);
        var token = new MemberToken(0x2122232425262728, 0x3132333435363738);
        var cookie = new AddressCookie(0x4142434445464748, 0x5152535455565758);
        var v4 = new IPEndPoint(IPAddress.Parse("198.51.100.4"), 50000);
        var v6 = new IPEndPoint(IPAddress.Parse("2001:db8::4"), 50001);
        var host = new IPEndPoint(IPAddress.Parse("192.168.1.4"), 50002);
        SignalingPacket[] packets =
        [
            new RegisterPacket("blue-lake", me, [host, v6], cookie, token),
            new RegisterPacket(SignalingCodec.NameplateRoom(42), me, []),
            new RegisteredPacket(me, token, v4, 42),
            new PeerInfoPacket(me, token, PeerRole.Initiator, TimeSpan.FromMilliseconds(250), v4, other, v6, [host]),
            new ErrorPacket(me, SignalingErrorCode.RoomFull, "the room is full"),
            new LeavePacket("blue-lake", me, token),
            new KeepAlivePacket("blue-lake", me, token, Matched: true, cookie, AnswerWanted: true),
            new RelayPacket(me, token, "sealed bytes"u8.ToArray()),
            new RelayedPacket(token, other, "sealed bytes"u8.ToArray()),
            new CookiePacket(me, cookie),
            new RedirectPacket(me, token, v6),
            new TurnCredentialsPacket(me, token, v4, "1700000000:alice", "c2VjcmV0"),
            new TurnAddressPacket(me, token, v4),
        ];
        var seeds = new Dictionary<string, byte[]>();
        foreach (var packet in packets)
        {
            var name = $"seed-{packet.Type.ToString().ToLowerInvariant()}";
            while (seeds.ContainsKey(name))
                name += "-2";
            seeds[name] = SignalingCodec.Encode(packet);
        }
        return seeds;
    }

    private static Dictionary<string, byte[]> Hellos()
    {
        var noise = new NoiseSecurity(SecretChat.Security.Identity.StaticKeyPair.FromPrivateKey(HandshakeTargets.Fixed(1, 32)));
        var seeds = new Dictionary<string, byte[]>
        {
            ["seed-noise-initiator"] = ProtocolHello.Local(noise, HandshakeRole.Initiator).ToArray(),
            ["seed-noise-responder"] = ProtocolHello.Local(noise, HandshakeRole.Responder).ToArray(),
            ["seed-rsa-initiator"] = new ProtocolHello(ProtocolHello.SupportedVersions, RsaSecurity.Descriptor.Id, HandshakeRole.Initiator).ToArray(),
            ["seed-many-versions"] = new ProtocolHello([1, 2, 3, 9], "future.module-1", HandshakeRole.Responder).ToArray(),
        };
        seeds["seed-legacy-refusal"] = ProtocolHello.Local(noise, HandshakeRole.Responder).LegacyRefusal();
        return seeds;
    }

    private static Dictionary<string, byte[]> Noise()
    {
        var seeds = new Dictionary<string, byte[]>();
        foreach (var hybrid in (bool[])[false, true])
        {
            var transcript = NoiseTranscript.Of(hybrid);
            for (var position = 0; position < 3; position++)
                seeds[$"seed-{(hybrid ? "hybrid" : "classic")}-message{position + 1}"] =
                    [(byte)(position | (hybrid ? 0x80 : 0)), .. transcript.Messages[position]];
        }
        return seeds;
    }

    private static (Dictionary<string, byte[]> Packets, Dictionary<string, byte[]> Established, Dictionary<string, byte[]> Handshaking) Datagrams()
    {
        // A real exchange: the handshake, then chat both ways.
        using var pair = new DatagramTargets.Pair();
        pair.Run();
        var handshake = pair.Log.ToList();
        pair.Initiator.SendAsync("hello from the initiator"u8.ToArray()).AsTask().GetAwaiter().GetResult();
        pair.Responder.SendAsync("hello back"u8.ToArray()).AsTask().GetAwaiter().GetResult();
        pair.Run();
        var chat = pair.Log.Skip(handshake.Count).ToList();

        var packets = new Dictionary<string, byte[]>();
        var index = 0;
        foreach (var (_, _, bytes) in pair.Log)
            packets[$"seed-{index++:00}-{PacketName(bytes)}"] = bytes;
        var reject = new byte[PacketCodec.RejectHeaderSize + 6];
        PacketCodec.Encode(PacketHeader.Reject(0x11111111), "go away"u8[..6], reject);
        packets["seed-reject"] = reject;
        var cookiePacket = new byte[PacketCodec.CookiePacketSize];
        PacketCodec.Encode(PacketHeader.Cookie(0x11111111), HandshakeTargets.Fixed(11, PacketCodec.CookieSize), cookiePacket);
        packets["seed-cookie"] = cookiePacket;

        // Replayed into a fresh pair, the exchange does not authenticate (new keys): the fuzzer starts from real shapes.
        var established = new Dictionary<string, byte[]>
        {
            ["seed-chat-replayed"] = DatagramTargets.Encode(chat.Select(d => (d.To.Port == 2000, true, d.Bytes))),
            ["seed-handshake-replayed"] = DatagramTargets.Encode(handshake.Select(d => (d.To.Port == 2000, true, d.Bytes))),
            ["seed-stranger-data"] = DatagramTargets.Encode(chat.Select(d => (d.To.Port == 2000, false, d.Bytes))),
            ["seed-reject-and-cookie"] = DatagramTargets.Encode([(true, true, reject), (false, true, cookiePacket)]),
        };
        var handshaking = new Dictionary<string, byte[]>
        {
            ["seed-handshake"] = DatagramTargets.Encode(handshake.Select(d => (d.To.Port == 2000, true, d.Bytes))),
            ["seed-hello-only"] = DatagramTargets.Encode(handshake.Take(1).Select(d => (true, true, d.Bytes))),
            ["seed-reject-and-cookie"] = DatagramTargets.Encode([(false, true, reject), (false, true, cookiePacket)]),
        };
        return (packets, established, handshaking);
    }

    private static string PacketName(byte[] datagram) =>
        PacketCodec.TryDecode(datagram, out var header, out _, out _) ? header.Type.ToString().ToLowerInvariant() : "unknown";
}
