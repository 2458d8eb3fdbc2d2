using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SecretChat.Framing.Packets;
using SecretChat.Security;

namespace SecretChat.Signaling;

/// <summary>
/// Encodes and decodes signaling datagrams. All integers big-endian.
/// <code>
/// every packet   type u8 (0x40–0x4F) | version u8 (2) | body
/// Register  0x40 room | peer u64 | cookie (16) | count u8 | candidate × count | [token (16): a rejoin only]
/// Registered 0x41 peer u64 | token (16) | reflexive candidate
/// PeerInfo  0x42 peer u64 | token (16) | role u8 (1 initiator, 2 responder) | punch delay ms u16 | your reflexive candidate
///                | other peer u64 | other reflexive candidate | count u8 | other host candidate × count
/// Error     0x43 peer u64 (0 if unknown) | code u8 | reason: length u8 + UTF-8
/// Leave     0x44 room | peer u64 | token (16)
/// KeepAlive 0x45 room | peer u64 | token (16) | flags u8 (bit 0 = matched, no answer wanted; bit 1 = answer wanted anyway) | cookie (16)
/// Relay     0x46 peer u64 (the sender's) | token (16, the sender's) | length u16 (0–1200) | payload
/// Relayed   0x47 token (16, the receiver's) | from peer u64 | length u16 (0–1200) | payload
/// Cookie    0x48 peer u64 (echoed) | cookie (16)
/// Redirect  0x49 peer u64 (the receiver's) | token (16, the receiver's) | home node candidate
/// TurnCredentials 0x4A peer u64 | token (16, the receiver's) | TURN server candidate | username: length u8 (1–128) + UTF-8
///                | password: length u8 (1–64) + UTF-8
/// TurnAddress 0x4B peer u64 | token (16; toward the server the sender's, toward a client the receiver's) | relayed candidate
/// room           length u8 (1–64) + UTF-8, no control characters
/// candidate      family u8 (4 or 6) | address (4 or 16 bytes) | port u16
/// token, cookie  16 bytes; all zero = none
/// </code>
/// Bytes after a known body are ignored, so a later minor version can append fields; an incompatible change bumps the version byte.
/// </summary>
public static class SignalingCodec
{
    /// <summary>2 since member tokens and cookies (version 1 had neither; a version-1 packet is answered with UnsupportedVersion).</summary>
    public const byte Version = 2;

    /// <summary>The longest room name, in bytes of UTF-8.</summary>
    public const int MaxRoomBytes = 64;
    /// <summary>The most host candidates one packet carries.</summary>
    public const int MaxCandidates = 16;
    /// <summary>The longest reason of an Error packet, in bytes of UTF-8.</summary>
    public const int MaxReasonBytes = 200;

    /// <summary>Largest relayed payload: one session datagram (at most 1200 bytes: docs/PROTOCOL.md, UDP packets).</summary>
    public const int MaxRelayPayloadBytes = PacketCodec.MaxDatagramSize;

    /// <summary>
    /// Largest encoded packet other than Relay/Relayed and Error: a Register with the longest room and <see cref="MaxCandidates"/>
    /// IPv6 candidates and a rejoin's token (412 bytes; a PeerInfo with as many is 380), well under 1200 bytes.
    /// </summary>
    public const int MaxPacketLength = 2 + 1 + MaxRoomBytes + 8 + AddressCookie.Length + 1 + (MaxCandidates * 19) + MemberToken.Length;

    /// <summary>Largest Relay packet: a full payload behind the peer id and the token (1228 bytes; 1276 on the wire over IPv6, under a 1500-byte MTU).</summary>
    public const int MaxRelayPacketLength = 2 + 8 + MemberToken.Length + 2 + MaxRelayPayloadBytes;

    /// <summary>What Relay adds to a session datagram (28 bytes; Relayed adds as many), so a client relays at most 1,172-byte datagrams within its 1,200.</summary>
    public const int RelayOverhead = 2 + 8 + MemberToken.Length + 2;

    /// <summary>A Cookie packet's length: smaller than the shortest Register (29 bytes) and KeepAlive (45), so it never amplifies.</summary>
    public const int CookiePacketLength = 2 + 8 + AddressCookie.Length;

    /// <summary>A Redirect's length toward an IPv4 home node (45 toward IPv6): it goes only to a proven member, never to an unproven source.</summary>
    public const int RedirectPacketLength = 2 + 8 + MemberToken.Length + 1 + 4 + 2;

    /// <summary>An Error packet without its reason's text: type, version, peer, code and the reason's length byte.</summary>
    public const int ErrorHeaderLength = 2 + 8 + 1 + 1;

    /// <summary>The longest TURN username a TurnCredentials packet carries, in bytes of UTF-8 (coturn's own limit is 512).</summary>
    public const int MaxTurnUsernameBytes = 128;

    /// <summary>The longest TURN password a TurnCredentials packet carries (a base64 HMAC-SHA1 is 28 bytes).</summary>
    public const int MaxTurnPasswordBytes = 64;

    private const byte MatchedFlag = 0x01;
    private const byte AnswerWantedFlag = 0x02;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True when the first byte is in the signaling range 0x40–0x4F (the demultiplexing check).</summary>
    public static bool IsSignaling(ReadOnlySpan<byte> datagram) => datagram.Length >= 1 && (datagram[0] & 0xF0) == 0x40;

    /// <summary>The version byte, or null when the datagram is too short to have one.</summary>
    public static byte? PeekVersion(ReadOnlySpan<byte> datagram) => datagram.Length >= 2 ? datagram[1] : null;

    /// <exception cref="SignalingFormatException">Not a well-formed signaling packet of this version.</exception>
    public static SignalingPacket Decode(ReadOnlySpan<byte> datagram)
    {
        if (!IsSignaling(datagram))
            throw new SignalingFormatException("Not a signaling packet: the first byte is outside 0x40–0x4F.");
        if (datagram.Length < 2)
            throw new SignalingFormatException("A signaling packet has at least a type and a version byte.");
        if (datagram[1] != Version)
            throw new SignalingFormatException($"Signaling version {datagram[1]} is not supported (this side speaks {Version}).");

        var reader = new Reader(datagram[2..]);
        return (SignalingPacketType)datagram[0] switch
        {
            SignalingPacketType.Register => Register(ref reader),
            SignalingPacketType.Registered => new RegisteredPacket(reader.Peer(), reader.Token(), reader.Candidate(), reader.OptionalUInt16()),
            SignalingPacketType.PeerInfo => new PeerInfoPacket(
                reader.Peer(), reader.Token(), reader.Role(), TimeSpan.FromMilliseconds(reader.UInt16()), reader.Candidate(),
                reader.Peer(), reader.Candidate(), reader.Candidates()),
            SignalingPacketType.Error => new ErrorPacket(reader.Peer(), reader.ErrorCode(), reader.Text(MaxReasonBytes, "reason")),
            SignalingPacketType.Leave => new LeavePacket(reader.Room(), reader.Peer(), reader.Token()),
            SignalingPacketType.KeepAlive => KeepAlive(ref reader),
            SignalingPacketType.Relay => new RelayPacket(reader.Peer(), reader.Token(), reader.Payload()),
            SignalingPacketType.Relayed => new RelayedPacket(reader.Token(), reader.Peer(), reader.Payload()),
            SignalingPacketType.Cookie => new CookiePacket(reader.Peer(), reader.Cookie()),
            SignalingPacketType.Redirect => new RedirectPacket(reader.Peer(), reader.Token(), reader.Candidate()),
            SignalingPacketType.TurnCredentials => new TurnCredentialsPacket(
                reader.Peer(), reader.Token(), reader.Candidate(), reader.Credential(MaxTurnUsernameBytes, "TURN username"), reader.Credential(MaxTurnPasswordBytes, "TURN password")),
            SignalingPacketType.TurnAddress => new TurnAddressPacket(reader.Peer(), reader.Token(), reader.Candidate()),
            _ => throw new SignalingFormatException($"Unknown signaling packet type 0x{datagram[0]:x2}."),
        };
    }

    private static RegisterPacket Register(ref Reader reader)
    {
        var room = reader.Room();
        var peer = reader.Peer();
        var cookie = reader.Cookie();
        var candidates = reader.Candidates();
        return new RegisterPacket(room, peer, candidates, cookie, reader.OptionalToken());
    }

    private static KeepAlivePacket KeepAlive(ref Reader reader)
    {
        var room = reader.Room();
        var peer = reader.Peer();
        var token = reader.Token();
        var flags = reader.Byte("flags");
        return new KeepAlivePacket(room, peer, token, (flags & MatchedFlag) != 0, reader.Cookie(), (flags & AnswerWantedFlag) != 0);
    }

    /// <summary>Decodes without throwing: false for anything malformed.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> datagram, out SignalingPacket? packet)
    {
        try
        {
            packet = Decode(datagram);
            return true;
        }
        catch (SignalingFormatException)
        {
            packet = null;
            return false;
        }
    }

    /// <summary>
    /// A Relay packet's fields without decoding it into a <see cref="RelayPacket"/> (the relay's hot path: no copy of the
    /// payload, which stays a slice of <paramref name="datagram"/>). True exactly when <see cref="Decode"/> would return a
    /// <see cref="RelayPacket"/> with these fields; false for every other datagram, well-formed or not.
    /// </summary>
    internal static bool TryReadRelay(ReadOnlySpan<byte> datagram, out PeerId peer, out MemberToken token, out ReadOnlySpan<byte> payload)
    {
        const int header = 2 + 8 + MemberToken.Length + 2;
        peer = default;
        token = default;
        payload = default;
        if (datagram.Length < header || datagram[0] != (byte)SignalingPacketType.Relay || datagram[1] != Version)
            return false;
        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[(header - 2)..]);
        if (length > MaxRelayPayloadBytes || datagram.Length - header < length)
            return false;
        peer = new PeerId(BinaryPrimitives.ReadUInt64BigEndian(datagram[2..]));
        token = MemberToken.Read(datagram[10..]);
        payload = datagram.Slice(header, length); // bytes after it are ignored, as Decode ignores them
        return true;
    }

    /// <summary>
    /// Writes the Relayed packet <c>new RelayedPacket(token, from, payload)</c> into <paramref name="destination"/> (at least
    /// <see cref="MaxRelayPacketLength"/> bytes) and returns its length: the same bytes as <see cref="Encode(SignalingPacket)"/>,
    /// without the packet object or an array per datagram.
    /// </summary>
    internal static int WriteRelayed(Span<byte> destination, MemberToken token, PeerId from, ReadOnlySpan<byte> payload)
    {
        var writer = new Writer(destination);
        writer.Byte((byte)SignalingPacketType.Relayed);
        writer.Byte(Version);
        writer.Token(token);
        writer.Peer(from);
        writer.Payload(payload);
        return writer.Position;
    }

    /// <summary>Encodes <paramref name="packet"/> into a new array the caller owns.</summary>
    /// <exception cref="ArgumentException">A field is out of range (room length, candidate count, reason length).</exception>
    public static byte[] Encode(SignalingPacket packet)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        Encode(packet, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <exception cref="ArgumentException">A field is out of range (room length, candidate count, reason length).</exception>
    public static void Encode(SignalingPacket packet, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(packet);
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(Math.Max(MaxPacketLength + MaxReasonBytes + 16, MaxRelayPacketLength));
        var writer = new Writer(span);
        writer.Byte((byte)packet.Type);
        writer.Byte(Version);
        switch (packet)
        {
            case RegisterPacket p:
                writer.Room(p.Room);
                writer.Peer(p.Peer);
                writer.Cookie(p.Cookie);
                writer.Candidates(p.HostCandidates);
                if (!p.Token.IsNone)
                    writer.Token(p.Token);
                break;
            case RegisteredPacket p:
                writer.Peer(p.Peer);
                writer.Token(p.Token);
                writer.Candidate(p.ReflexiveAddress);
                if (p.Nameplate != 0)
                    writer.UInt16(p.Nameplate);
                break;
            case PeerInfoPacket p:
                writer.Peer(p.Peer);
                writer.Token(p.Token);
                writer.Byte((byte)p.Role);
                writer.UInt16((ushort)Math.Clamp(p.PunchDelay.TotalMilliseconds, 0, ushort.MaxValue));
                writer.Candidate(p.ReflexiveAddress);
                writer.Peer(p.OtherPeer);
                writer.Candidate(p.OtherReflexiveAddress);
                writer.Candidates(p.OtherHostCandidates);
                break;
            case ErrorPacket p:
                writer.Peer(p.Peer);
                writer.Byte((byte)p.Code);
                writer.Text(TruncateReason(p.Reason, MaxReasonBytes), MaxReasonBytes, "reason");
                break;
            case LeavePacket p:
                writer.Room(p.Room);
                writer.Peer(p.Peer);
                writer.Token(p.Token);
                break;
            case KeepAlivePacket p:
                writer.Room(p.Room);
                writer.Peer(p.Peer);
                writer.Token(p.Token);
                writer.Byte((byte)((p.Matched ? MatchedFlag : 0) | (p.AnswerWanted ? AnswerWantedFlag : 0)));
                writer.Cookie(p.Cookie);
                break;
            case RelayPacket p:
                writer.Peer(p.Peer);
                writer.Token(p.Token);
                writer.Payload(p.Payload.Span);
                break;
            case RelayedPacket p:
                writer.Token(p.Token);
                writer.Peer(p.From);
                writer.Payload(p.Payload.Span);
                break;
            case CookiePacket p:
                writer.Peer(p.Peer);
                writer.Cookie(p.Cookie);
                break;
            case RedirectPacket p:
                writer.Peer(p.Peer);
                writer.Token(p.Token);
                writer.Candidate(p.HomeNode);
                break;
            case TurnCredentialsPacket p:
                writer.Peer(p.Peer);
                writer.Token(p.Token);
                writer.Candidate(p.Server);
                writer.Credential(p.Username, MaxTurnUsernameBytes, "username");
                writer.Credential(p.Password, MaxTurnPasswordBytes, "password");
                break;
            case TurnAddressPacket p:
                writer.Peer(p.Peer);
                writer.Token(p.Token);
                writer.Candidate(p.RelayedAddress);
                break;
            default:
                throw new ArgumentException($"Unknown packet {packet.GetType().Name}.", nameof(packet));
        }

        output.Advance(writer.Position);
    }

    /// <summary>
    /// The room a Register names to ask the server for a nameplate: the server allocates the smallest free number N,
    /// opens room <c>#N</c> with the sender as its first member and answers with <see cref="RegisteredPacket.Nameplate"/>.
    /// Room names starting with '#' are nameplates: a Register for <c>#N</c> joins only an allocated, unused nameplate.
    /// </summary>
    public const string AllocateNameplateRoom = "#";

    /// <summary>The room of nameplate <paramref name="nameplate"/>: <c>#N</c>.</summary>
    public static string NameplateRoom(int nameplate) => "#" + nameplate.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True for a room named like a nameplate (<c>#</c> and digits).</summary>
    public static bool IsNameplateRoom(string room) => room.Length > 1 && room[0] == '#' && room.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;

    /// <summary>Checks a room name as the codec would: 1–64 UTF-8 bytes, no control characters.</summary>
    public static bool IsValidRoom(string? room) =>
        !string.IsNullOrEmpty(room) && Encoding.UTF8.GetByteCount(room) <= MaxRoomBytes && !room.Any(char.IsControl);

    /// <summary>Cuts <paramref name="text"/> to at most <paramref name="maxBytes"/> UTF-8 bytes, ending in "…" when cut (if that fits).</summary>
    internal static string TruncateReason(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes) return text;
        var ellipsis = maxBytes >= 4 ? "…" : "";
        var room = maxBytes - Encoding.UTF8.GetByteCount(ellipsis);
        while (text.Length > 0 && (Encoding.UTF8.GetByteCount(text) > room || char.IsHighSurrogate(text[^1]))) text = text[..^1];
        return text + ellipsis;
    }

    private ref struct Reader(ReadOnlySpan<byte> body)
    {
        private ReadOnlySpan<byte> _rest = body;

        private ReadOnlySpan<byte> Take(int count, string what)
        {
            if (_rest.Length < count)
                throw new SignalingFormatException($"The packet ends inside its {what}.");
            var taken = _rest[..count];
            _rest = _rest[count..];
            return taken;
        }

        public byte Byte(string what) => Take(1, what)[0];

        public ushort UInt16(string what = "punch delay") => BinaryPrimitives.ReadUInt16BigEndian(Take(2, what));

        public ushort OptionalUInt16(string what = "nameplate") => _rest.Length >= 2 ? UInt16(what) : (ushort)0;

        public MemberToken Token() => MemberToken.Read(Take(MemberToken.Length, "token"));

        public AddressCookie Cookie() => AddressCookie.Read(Take(AddressCookie.Length, "cookie"));

        /// <summary>A trailing token (a rejoin's Register): none when fewer than its 16 bytes follow.</summary>
        public MemberToken OptionalToken() => _rest.Length >= MemberToken.Length ? Token() : default;

        public byte[] Payload()
        {
            int length = UInt16("payload length");
            if (length > MaxRelayPayloadBytes)
                throw new SignalingFormatException($"The relayed payload is {length} bytes; at most {MaxRelayPayloadBytes} are allowed.");
            return Take(length, "payload").ToArray();
        }

        public PeerId Peer() => new(BinaryPrimitives.ReadUInt64BigEndian(Take(8, "peer id")));

        public PeerRole Role() => Byte("role") switch
        {
            1 => PeerRole.Initiator,
            2 => PeerRole.Responder,
            var other => throw new SignalingFormatException($"Unknown role {other}."),
        };

        public SignalingErrorCode ErrorCode() => (SignalingErrorCode)Byte("error code"); // unknown codes stay numbers: still an error

        public string Text(int maxBytes, string what)
        {
            int length = Byte(what);
            if (length > maxBytes)
                throw new SignalingFormatException($"The {what} is {length} bytes; at most {maxBytes} are allowed.");
            try
            {
                return StrictUtf8.GetString(Take(length, what));
            }
            catch (DecoderFallbackException ex)
            {
                throw new SignalingFormatException($"The {what} is not valid UTF-8.", ex);
            }
        }

        /// <summary>A TURN username or password: 1 to <paramref name="maxBytes"/> bytes of text without control characters.</summary>
        public string Credential(int maxBytes, string what)
        {
            var text = Text(maxBytes, what);
            if (text.Length == 0 || text.Any(char.IsControl))
                throw new SignalingFormatException($"A {what} is 1–{maxBytes} bytes of text without control characters.");
            return text;
        }

        public string Room()
        {
            var room = Text(MaxRoomBytes, "room name");
            if (room.Length == 0 || room.Any(char.IsControl))
                throw new SignalingFormatException("A room name is 1–64 bytes of text without control characters.");
            return room;
        }

        public IPEndPoint Candidate()
        {
            var family = Byte("candidate");
            int length = family switch
            {
                4 => 4,
                6 => 16,
                _ => throw new SignalingFormatException($"Unknown candidate address family {family}."),
            };
            var address = new IPAddress(Take(length, "candidate"));
            return new IPEndPoint(address, BinaryPrimitives.ReadUInt16BigEndian(Take(2, "candidate port")));
        }

        public IPEndPoint[] Candidates()
        {
            int count = Byte("candidate count");
            if (count > MaxCandidates)
                throw new SignalingFormatException($"{count} candidates; at most {MaxCandidates} are allowed.");
            var candidates = new IPEndPoint[count];
            for (var i = 0; i < count; i++)
                candidates[i] = Candidate();
            return candidates;
        }
    }

    private ref struct Writer(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Position { get; private set; }

        public void Byte(byte value) => _destination[Position++] = value;

        public void UInt16(ushort value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(_destination[Position..], value);
            Position += 2;
        }

        public void Payload(ReadOnlySpan<byte> payload)
        {
            if (payload.Length > MaxRelayPayloadBytes)
                throw new ArgumentException($"The payload is {payload.Length} bytes; at most {MaxRelayPayloadBytes} can be relayed.", "payload");
            UInt16((ushort)payload.Length);
            payload.CopyTo(_destination[Position..]);
            Position += payload.Length;
        }

        public void Token(MemberToken token)
        {
            token.Write(_destination[Position..]);
            Position += MemberToken.Length;
        }

        public void Cookie(AddressCookie cookie)
        {
            cookie.Write(_destination[Position..]);
            Position += AddressCookie.Length;
        }

        public void Peer(PeerId peer)
        {
            BinaryPrimitives.WriteUInt64BigEndian(_destination[Position..], peer.Value);
            Position += 8;
        }

        public void Text(string text, int maxBytes, string what)
        {
            ArgumentNullException.ThrowIfNull(text, what);
            int length = Encoding.UTF8.GetByteCount(text);
            if (length > maxBytes)
                throw new ArgumentException($"The {what} is {length} bytes; at most {maxBytes} are allowed.", what);
            Byte((byte)length);
            Position += Encoding.UTF8.GetBytes(text, _destination[Position..]);
        }

        public void Credential(string text, int maxBytes, string what)
        {
            ArgumentNullException.ThrowIfNull(text, what);
            if (text.Length == 0 || text.Any(char.IsControl))
                throw new ArgumentException($"A TURN {what} is 1–{maxBytes} bytes of text without control characters.", what);
            Text(text, maxBytes, what);
        }

        public void Room(string room)
        {
            if (!IsValidRoom(room))
                throw new ArgumentException($"'{room}' is not a valid room name: 1–{MaxRoomBytes} UTF-8 bytes without control characters.", nameof(room));
            Text(room, MaxRoomBytes, "room");
        }

        public void Candidate(IPEndPoint endPoint)
        {
            ArgumentNullException.ThrowIfNull(endPoint);
            endPoint = PlainAddress.Of(endPoint);
            bool v4 = endPoint.AddressFamily == AddressFamily.InterNetwork;
            Byte(v4 ? (byte)4 : (byte)6);
            endPoint.Address.TryWriteBytes(_destination[Position..], out var written);
            Position += written;
            UInt16((ushort)endPoint.Port);
        }

        public void Candidates(IReadOnlyList<IPEndPoint> candidates)
        {
            ArgumentNullException.ThrowIfNull(candidates);
            if (candidates.Count > MaxCandidates)
                throw new ArgumentException($"{candidates.Count} candidates; at most {MaxCandidates} fit in a packet.", nameof(candidates));
            Byte((byte)candidates.Count);
            foreach (var candidate in candidates)
                Candidate(candidate);
        }
    }
}
