using SecretChat.Transport.Reliability;
using SecretChat.Transport.Stun;
using SecretChat.Transport.Turn;

namespace SecretChat.Fuzz.Targets;

/// <summary>The transport layer: the reliability sub-protocol inside sealed datagrams, STUN and TURN's ChannelData.</summary>
internal static class TransportTargets
{
    private static readonly byte[] IntegrityKey = "fuzz-integrity-key"u8.ToArray();

    /// <summary>A reliability packet (the decrypted body of a data packet): what decodes re-encodes to the same bytes.</summary>
    public static void Reliability(byte[] input)
    {
        if (!ReliabilityPacket.TryDecode(input, out var packet))
            return;
        var destination = new byte[input.Length];
        int written;
        switch (packet.Type)
        {
            case ReliabilityPacketType.Data:
                written = ReliabilityPacket.WriteData(destination, packet.Flags, packet.Sequence, packet.Ack, packet.Data);
                break;
            case ReliabilityPacketType.Ack:
                Invariant.That(packet.Ranges.Length % ReliabilityPacket.AckRangeSize == 0, "An ACK's ranges are not whole.");
                ReliabilityPacket.WriteAckHeader(destination, packet.Ack, packet.RangeCount);
                for (var i = 0; i < packet.RangeCount; i++)
                {
                    var (gap, length) = packet.Range(i);
                    ReliabilityPacket.WriteRange(destination, i, gap, length);
                }
                written = ReliabilityPacket.AckHeaderSize + packet.RangeCount * ReliabilityPacket.AckRangeSize;
                break;
            case ReliabilityPacketType.KeepAlive:
                written = ReliabilityPacket.WriteKeepAlive(destination, packet.Ack);
                break;
            case ReliabilityPacketType.Close:
                written = ReliabilityPacket.WriteClose(destination, packet.Sequence, packet.Ack);
                break;
            default:
                throw new FuzzInvariantException($"TryDecode accepted a packet of unknown type {packet.Type}.");
        }
        Invariant.Equal(input, destination.AsSpan(0, written), "The reliability packet re-encoded");
    }

    /// <summary>
    /// A STUN message as a client or server receives it: Parse and TryParse agree, every attribute the parser interprets
    /// is read, the integrity and fingerprint checks run, and the attributes rebuilt into a new message parse the same.
    /// </summary>
    public static void Stun(byte[] input)
    {
        StunMessage? message = null;
        var parsed = Invariant.Parses<StunFormatException>(input.Length, "StunMessage.Parse", () => message = StunMessage.Parse(input));
        var tried = StunMessage.TryParse(input, out var tryMessage);
        Invariant.That(tried == parsed, $"TryParse says {tried}, Parse {(parsed ? "parsed" : "refused")}.");
        if (!parsed)
            return;
        Invariant.That(StunMessage.IsStun(input), "Parse accepted what IsStun refuses.");
        Invariant.Equal(input, message!.Raw, "The parsed message's raw bytes");
        Invariant.Equal(input, tryMessage!.Raw, "TryParse's raw bytes");
        _ = message.ToString();
        _ = message.VerifyFingerprint();
        _ = message.VerifyMessageIntegrity(IntegrityKey);
        Invariant.That(message.HasFingerprint == (message.Find(StunAttributeType.Fingerprint) is not null), "HasFingerprint disagrees with the attributes.");

        // Rebuild from the attributes before MESSAGE-INTEGRITY / FINGERPRINT (the builder computes those itself).
        var builder = new StunMessageBuilder(message.Type, message.TransactionId);
        var kept = new List<StunAttribute>();
        foreach (var attribute in message.Attributes)
        {
            // MESSAGE-INTEGRITY-SHA256 is not interpreted (this side signs with SHA-1): an ordinary attribute here.
            if (attribute.Type is StunAttributeType.MessageIntegrity or StunAttributeType.Fingerprint)
                break;
            builder.AddAttribute(attribute.Type, attribute.Value.Span);
            kept.Add(attribute);
        }
        var rebuilt = StunMessage.Parse(builder.ToArray());
        Invariant.That(rebuilt.Type == message.Type && rebuilt.TransactionId == message.TransactionId, "The rebuilt message's header differs.");
        Invariant.That(rebuilt.Attributes.Count == kept.Count, $"The rebuilt message has {rebuilt.Attributes.Count} attributes, not {kept.Count}.");
        for (var i = 0; i < kept.Count; i++)
        {
            Invariant.That(rebuilt.Attributes[i].Type == kept[i].Type, $"Rebuilt attribute {i} has another type.");
            Invariant.Equal(kept[i].Value.Span, rebuilt.Attributes[i].Value.Span, $"Rebuilt attribute {i} (0x{kept[i].Type:x4})");
        }
        if (message.HasMessageIntegrity)
            return; // attributes after MESSAGE-INTEGRITY are ignored, so the interpreted fields may come from fewer attributes
        Invariant.That(Equals(rebuilt.XorMappedAddress, message.XorMappedAddress) && Equals(rebuilt.MappedAddress, message.MappedAddress)
            && Equals(rebuilt.XorRelayedAddress, message.XorRelayedAddress) && Equals(rebuilt.XorPeerAddress, message.XorPeerAddress)
            && rebuilt.Lifetime == message.Lifetime && rebuilt.ChannelNumber == message.ChannelNumber
            && Equals(rebuilt.ErrorCode, message.ErrorCode) && rebuilt.Software == message.Software && rebuilt.Username == message.Username
            && rebuilt.Realm == message.Realm && rebuilt.Nonce == message.Nonce,
            "The rebuilt message's interpreted attributes differ.");
    }

    /// <summary>A TURN ChannelData message: what decodes re-encodes to its bytes (up to the padding the decoder allows).</summary>
    public static void ChannelData(byte[] input)
    {
        var isChannelData = TurnChannelData.IsChannelData(input);
        if (!TurnChannelData.TryDecode(input, out var channel, out var data))
            return;
        Invariant.That(isChannelData, "TryDecode accepted what IsChannelData refuses.");
        Invariant.That(TurnChannelData.IsValidChannel(channel), $"TryDecode accepted channel 0x{channel:x4}.");
        Invariant.That(input.Length - TurnChannelData.HeaderLength - data.Length is >= 0 and <= 3, "More than three bytes of padding were accepted.");
        var destination = new byte[TurnChannelData.HeaderLength + data.Length];
        TurnChannelData.Encode(channel, data, destination);
        Invariant.Equal(input.AsSpan(0, destination.Length), destination, "The ChannelData re-encoded");
    }
}
