using SecretChat.Signaling;

namespace SecretChat.Fuzz.Targets;

/// <summary>The signaling protocol's datagrams, as a signaling server and a client receive them.</summary>
internal static class SignalingTargets
{
    /// <summary>
    /// Decode and TryDecode agree; every packet the decoder accepts the encoder can write (the decoder accepts nothing the
    /// encoder refuses), and the written bytes decode to the same packet and write the same bytes again.
    /// </summary>
    public static void Signaling(byte[] input)
    {
        SignalingPacket? packet = null;
        var decoded = Invariant.Parses<SignalingFormatException>(input.Length, "SignalingCodec.Decode", () => packet = SignalingCodec.Decode(input));
        Invariant.That(SignalingCodec.TryDecode(input, out _) == decoded, "TryDecode and Decode disagree.");
        if (!decoded)
            return;
        Invariant.That(SignalingCodec.IsSignaling(input), "Decode accepted what IsSignaling refuses.");

        byte[] encoded;
        try
        {
            encoded = SignalingCodec.Encode(packet!);
        }
        catch (ArgumentException e)
        {
            throw new FuzzInvariantException($"The decoder accepted a {packet!.GetType().Name} the encoder refuses: {e.Message}", e);
        }
        var again = SignalingCodec.Decode(encoded);
        Invariant.That(again.GetType() == packet!.GetType(), $"A {packet.GetType().Name} re-encoded decodes as a {again.GetType().Name}.");
        Invariant.Equal(encoded, SignalingCodec.Encode(again), $"A {packet.GetType().Name} encoded, decoded and encoded again");
    }
}
