using System.Buffers;
using System.Security.Cryptography;
using SecretChat.Security;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;

namespace SecretChat.Fuzz.Targets;

/// <summary>The handshake's messages: the hello, the payload inside the handshake messages, and Noise XX itself.</summary>
internal static class HandshakeTargets
{
    private static readonly NoiseSecurity LocalModule = new(StaticKeyPair.FromPrivateKey(Fixed(1, 32)));

    /// <summary>
    /// A peer's protocol hello (the first bytes on every connection): what parses keeps its bytes, negotiates or refuses
    /// with a <see cref="HandshakeException"/> against both local hellos, and a hello built from its fields parses alike.
    /// </summary>
    public static void Hello(byte[] input)
    {
        ProtocolHello? hello = null;
        if (!Invariant.Parses<HandshakeException>(input.Length, "ProtocolHello.Parse", () => hello = ProtocolHello.Parse(input)))
            return;
        Invariant.Equal(input, hello!.Bytes, "The parsed hello's bytes");
        Invariant.That(hello.Versions.Count is >= 1 and <= ProtocolHello.MaxVersions, $"A hello with {hello.Versions.Count} versions parsed.");
        Invariant.That(ProtocolHello.IsValidModuleId(hello.ModuleId), $"A hello with module id '{hello.ModuleId}' parsed.");
        _ = ProtocolHello.Describe(hello.Versions);
        foreach (var role in (HandshakeRole[])[HandshakeRole.Initiator, HandshakeRole.Responder])
        {
            try
            {
                var version = ProtocolHello.Local(LocalModule, role).Negotiate(hello);
                Invariant.That(hello.Versions.Contains(version) && ProtocolHello.SupportedVersions.Contains(version),
                    $"Negotiated version {version}, which is not on both lists.");
                if (hello.Role == HandshakeRole.Initiator)
                    _ = ProtocolHello.Prologue(hello);
            }
            catch (HandshakeException)
            {
            }
        }
        if (hello.IsLegacy)
            return;
        if (hello.Role is HandshakeRole.Initiator or HandshakeRole.Responder)
        {
            // The fields alone (no bytes after the module id, which later versions may add) make a hello that parses alike.
            var rebuilt = ProtocolHello.Parse(new ProtocolHello(hello.Versions, hello.ModuleId, hello.Role).Bytes);
            Invariant.That(rebuilt.Versions.SequenceEqual(hello.Versions) && rebuilt.ModuleId == hello.ModuleId && rebuilt.Role == hello.Role,
                "A hello rebuilt from the parsed fields parses differently.");
        }
    }

    /// <summary>
    /// The payload inside a handshake message (hello echo, display name, capabilities): what decodes is a greeting the
    /// encoder accepts, and encoding it decodes to the same fields.
    /// </summary>
    public static void Payload(byte[] input)
    {
        byte[] echo = [];
        HandshakeGreeting? greeting = null;
        if (!Invariant.Parses<HandshakeException>(input.Length, "HandshakePayload.Decode", () => HandshakePayload.Decode(input, out echo, out greeting)))
            return;
        byte[] encoded;
        try
        {
            encoded = HandshakePayload.Encode(echo, greeting);
        }
        catch (ArgumentException e)
        {
            throw new FuzzInvariantException($"The decoder accepted a payload the encoder refuses: {e.Message}", e);
        }
        HandshakePayload.Decode(encoded, out var echoAgain, out var greetingAgain);
        Invariant.Equal(echo, echoAgain, "The hello echo re-encoded");
        Invariant.That(greeting is null == greetingAgain is null, "A greeting appeared or vanished when re-encoded.");
        if (greeting is not null)
            Invariant.That(greeting.DisplayName == greetingAgain!.DisplayName && greeting.Capabilities.SequenceEqual(greetingAgain.Capabilities),
                "The greeting re-encoded differs.");
    }

    /// <summary>
    /// One Noise XX handshake (classic or hybrid with ML-KEM-768), fixed keys, where the message at one position is the
    /// input instead of the genuine message. The first input byte picks the position (low two bits, mod 3) and the mode
    /// (top bit: hybrid). The reader either refuses with a documented exception and is then unusable, or reads it; a
    /// message after the first (the ones that carry authenticated keys) is read only if it is the genuine one, and a
    /// handshake that reads a message completes with the genuine keys.
    /// </summary>
    public static void Noise(byte[] input)
    {
        if (input.Length == 0)
            return;
        var position = (input[0] & 0x03) % 3;
        var hybrid = (input[0] & 0x80) != 0;
        var message = input.AsSpan(1);
        var genuine = NoiseTranscript.Of(hybrid);

        using var initiator = NoiseTranscript.Create(hybrid, HandshakeRole.Initiator);
        using var responder = NoiseTranscript.Create(hybrid, HandshakeRole.Responder);
        for (var i = 0; i < 3; i++)
        {
            var (writer, reader) = i % 2 == 0 ? (initiator, responder) : (responder, initiator);
            var written = new ArrayBufferWriter<byte>();
            writer.WriteMessage(NoiseTranscript.Payloads[i], written);
            Invariant.Equal(genuine.Messages[i], written.WrittenSpan, $"Message {i + 1} of the fixed-key handshake");
            if (i != position)
            {
                reader.ReadMessage(written.WrittenSpan);
                continue;
            }

            byte[] payload;
            try
            {
                payload = reader.ReadMessage(message);
            }
            catch (Exception e) when (e is HandshakeException or CryptographicException)
            {
                Invariant.That(reader.Status != HandshakeStatus.Complete, "A handshake completed on a message it refused.");
                try
                {
                    reader.ReadMessage(written.WrittenSpan);
                }
                catch (Exception again) when (again is InvalidOperationException or HandshakeException or CryptographicException)
                {
                    return; // refused, and unusable after: the session is never made from a state the input touched
                }
                throw new FuzzInvariantException("A handshake that refused a message went on to read the genuine one.");
            }
            if (i > 0)
                Invariant.Equal(written.WrittenSpan, message, $"Message {i + 1} authenticated but is not the genuine one");
            else
                message = written.WrittenSpan.ToArray(); // the first message is in the clear: what follows uses its own
            if (i > 0)
                Invariant.Equal(NoiseTranscript.Payloads[i], payload, $"Message {i + 1}'s payload");
            if (i == 0 && !message.SequenceEqual(input.AsSpan(1)))
                return; // another ephemeral key: the rest of the genuine transcript no longer applies
        }
        using var initiatorSession = initiator.Split();
        using var responderSession = responder.Split();
        Invariant.Equal(genuine.HandshakeHash, initiatorSession.HandshakeHash.Span, "The initiator's handshake hash");
        Invariant.Equal(genuine.HandshakeHash, responderSession.HandshakeHash.Span, "The responder's handshake hash");
    }

    internal static byte[] Fixed(byte seed, int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
            bytes[i] = (byte)(seed * 31 + i * 7 + 1);
        return bytes;
    }
}

/// <summary>The fixed-key Noise XX handshakes (classic and hybrid) the Noise target and the seed corpus share.</summary>
internal sealed record NoiseTranscript(byte[][] Messages, byte[] HandshakeHash)
{
    private static readonly byte[] Prologue = "SecretChat fuzz prologue"u8.ToArray();
    private static readonly StaticKeyPair InitiatorKey = StaticKeyPair.FromPrivateKey(HandshakeTargets.Fixed(2, 32));
    private static readonly StaticKeyPair ResponderKey = StaticKeyPair.FromPrivateKey(HandshakeTargets.Fixed(3, 32));
    private static readonly Lazy<NoiseTranscript> Classic = new(() => Run(hybrid: false));
    private static readonly Lazy<NoiseTranscript> Hybrid = new(() => Run(hybrid: true));

    /// <summary>The payloads of messages 1–3: empty, then what a peer really sends (a hello echo and a greeting).</summary>
    public static byte[][] Payloads { get; } =
    [
        [],
        HandshakePayload.Encode(HandshakeTargets.Fixed(4, 16), new HandshakeGreeting("Bob", ["pq-mlkem768"])),
        HandshakePayload.Encode(HandshakeTargets.Fixed(5, 16), new HandshakeGreeting("Alice", [])),
    ];

    public static NoiseTranscript Of(bool hybrid) => hybrid ? Hybrid.Value : Classic.Value;

    public static IHandshake Create(bool hybrid, HandshakeRole role)
    {
        var key = role == HandshakeRole.Initiator ? InitiatorKey : ResponderKey;
        var ephemeral = HandshakeTargets.Fixed(role == HandshakeRole.Initiator ? (byte)6 : (byte)7, 32);
        var module = hybrid
            ? new NoiseSecurity(key, () => ephemeral, () => (HandshakeTargets.Fixed(8, 64), HandshakeTargets.Fixed(9, 32)))
            : new NoiseSecurity(key, () => ephemeral);
        return module.CreateHandshake(role, Prologue);
    }

    private static NoiseTranscript Run(bool hybrid)
    {
        using var initiator = Create(hybrid, HandshakeRole.Initiator);
        using var responder = Create(hybrid, HandshakeRole.Responder);
        var messages = new byte[3][];
        for (var i = 0; i < 3; i++)
        {
            var (writer, reader) = i % 2 == 0 ? (initiator, responder) : (responder, initiator);
            var written = new ArrayBufferWriter<byte>();
            writer.WriteMessage(Payloads[i], written);
            messages[i] = written.WrittenSpan.ToArray();
            reader.ReadMessage(messages[i]);
        }
        using var session = initiator.Split();
        return new NoiseTranscript(messages, session.HandshakeHash.ToArray());
    }
}
