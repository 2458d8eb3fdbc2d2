using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using SecretChat.Security.Identity;

namespace SecretChat.Security;

/// <summary>
/// The payload a protocol-2 handshake message carries: a sequence of fields <c>[type u8][length u16 BE][value]</c>.
/// Field types: 1 the responder's hello (echoed in the responder's first message), 2 the display name (UTF-8),
/// 3 the capabilities (<c>[length u8][ASCII]</c> each). Unknown field types are skipped, so a later version can add
/// fields; a known field that is malformed or repeated fails the handshake, and so does a display name that
/// <see cref="PeerName"/> does not allow (too long, or holding control, format, bidi or unassigned code points; an empty
/// name means none was given).
/// </summary>
public static class HandshakePayload
{
    /// <summary>The largest payload one handshake message carries (it must fit a 1200-byte datagram with rsa's keys).</summary>
    public const int MaxSize = 768;

    /// <summary>Field type 1: the responder's hello, echoed inside its first (authenticated) handshake message.</summary>
    public const byte HelloEchoField = 1;

    /// <summary>Field type 2: the sender's display name, UTF-8.</summary>
    public const byte DisplayNameField = 2;

    /// <summary>Field type 3: the sender's capabilities.</summary>
    public const byte CapabilitiesField = 3;

    /// <summary>Writes the fields that are present: the hello echo when given, the greeting when given.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> helloEcho, HandshakeGreeting? greeting)
    {
        var output = new ArrayBufferWriter<byte>(64);
        if (!helloEcho.IsEmpty)
            WriteField(output, HelloEchoField, helloEcho);
        if (greeting is not null)
        {
            WriteField(output, DisplayNameField, Encoding.UTF8.GetBytes(greeting.DisplayName));
            var capabilities = new ArrayBufferWriter<byte>(64);
            foreach (var capability in greeting.Capabilities)
            {
                var span = capabilities.GetSpan(1 + capability.Length);
                span[0] = (byte)capability.Length;
                Encoding.ASCII.GetBytes(capability, span[1..]);
                capabilities.Advance(1 + capability.Length);
            }
            WriteField(output, CapabilitiesField, capabilities.WrittenSpan);
        }
        if (output.WrittenCount > MaxSize)
            throw new ArgumentException($"A handshake payload holds at most {MaxSize} bytes; this one has {output.WrittenCount}.");
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads a payload. <paramref name="helloEcho"/> is empty when absent; <paramref name="greeting"/> is null when
    /// the payload carries no name and no capabilities. Unknown capabilities are kept (the caller ignores them).
    /// </summary>
    /// <exception cref="HandshakeException">The payload is malformed.</exception>
    public static void Decode(ReadOnlySpan<byte> payload, out byte[] helloEcho, out HandshakeGreeting? greeting)
    {
        if (payload.Length > MaxSize)
            throw Malformed($"it is {payload.Length} bytes, more than {MaxSize}");
        helloEcho = [];
        string? name = null;
        List<string>? capabilities = null;
        var rest = payload;
        while (!rest.IsEmpty)
        {
            if (rest.Length < 3)
                throw Malformed("a field header is truncated");
            var type = rest[0];
            var length = BinaryPrimitives.ReadUInt16BigEndian(rest[1..]);
            if (rest.Length < 3 + length)
                throw Malformed("a field is truncated");
            var value = rest.Slice(3, length);
            rest = rest[(3 + length)..];
            switch (type)
            {
                case HelloEchoField:
                    if (helloEcho.Length != 0 || value.IsEmpty)
                        throw Malformed("the hello echo is empty or repeated");
                    helloEcho = value.ToArray();
                    break;
                case DisplayNameField:
                    if (name is not null || length > HandshakeGreeting.MaxNameBytes)
                        throw Malformed("the display name is too long or repeated");
                    name = DecodeUtf8(value);
                    // An empty name is "none given" (what HandshakeGreeting.Empty sends); whoever needs a name refuses it.
                    if (name.Length > 0)
                        name = PeerName.TryParse(name, out var valid, out var problem)
                            ? valid.Value
                            : throw new HandshakeException($"The peer's name {PeerName.Visible(name)} is not allowed: {problem}.");
                    break;
                case CapabilitiesField:
                    if (capabilities is not null)
                        throw Malformed("the capability list is repeated");
                    capabilities = DecodeCapabilities(value);
                    break;
                default:
                    break; // a field of a later version
            }
        }
        greeting = name is null && capabilities is null ? null : new HandshakeGreeting(name ?? string.Empty, capabilities ?? []);
    }

    private static List<string> DecodeCapabilities(ReadOnlySpan<byte> value)
    {
        var capabilities = new List<string>();
        while (!value.IsEmpty)
        {
            var length = value[0];
            if (length is 0 or > ProtocolHello.MaxModuleIdLength || value.Length < 1 + length)
                throw Malformed("a capability is empty, too long or truncated");
            var capability = Encoding.ASCII.GetString(value.Slice(1, length));
            if (!ProtocolHello.IsValidModuleId(capability))
                throw Malformed("a capability has characters outside a-z, 0-9, '.', '_' and '-'");
            if (capabilities.Count == HandshakeGreeting.MaxCapabilities)
                throw Malformed($"it lists more than {HandshakeGreeting.MaxCapabilities} capabilities");
            capabilities.Add(capability);
            value = value[(1 + length)..];
        }
        return capabilities;
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> value)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
        }
        catch (DecoderFallbackException e)
        {
            throw new HandshakeException("The peer's handshake payload is malformed: its display name is not UTF-8.", e);
        }
    }

    private static void WriteField(IBufferWriter<byte> output, byte type, ReadOnlySpan<byte> value)
    {
        var span = output.GetSpan(3 + value.Length);
        span[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], checked((ushort)value.Length));
        value.CopyTo(span[3..]);
        output.Advance(3 + value.Length);
    }

    private static HandshakeException Malformed(string what) => new($"The peer's handshake payload is malformed: {what}.");
}
