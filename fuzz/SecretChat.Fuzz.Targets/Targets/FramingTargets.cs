using System.Buffers;
using SecretChat.Framing;
using SecretChat.Framing.Packets;

namespace SecretChat.Fuzz.Targets;

/// <summary>The framing layer: the TCP stream's frames, the envelopes inside them, close reasons and UDP packet headers.</summary>
internal static class FramingTargets
{
    // Small enough that the fuzzer reaches "too large" with two-byte lengths; the real default is 64 KiB.
    private const int MaxPayload = 1024;

    /// <summary>
    /// The read loop of a framed connection: decode frames until the codec wants more bytes or refuses the stream.
    /// Every segmentation gives the same frames and the same outcome; the frames re-encode to the bytes they came from.
    /// </summary>
    public static void LengthPrefixedFrames(byte[] input)
    {
        (List<byte[]> Frames, long Consumed, bool TooLarge)? reference = null;
        foreach (var sequence in Invariant.Segmentations(input))
        {
            var frames = new List<byte[]>();
            var rest = sequence;
            var tooLarge = false;
            Invariant.Parses<FrameTooLargeException>(input.Length, "LengthPrefixedFrameCodec.TryDecode", () =>
            {
                frames.Clear();
                rest = sequence;
                tooLarge = false;
                try
                {
                    while (LengthPrefixedFrameCodec.TryDecode(rest, MaxPayload, out var payload, out var consumed))
                    {
                        frames.Add(payload.ToArray());
                        rest = rest.Slice(consumed);
                    }
                }
                catch (FrameTooLargeException)
                {
                    tooLarge = true;
                    throw;
                }
            });
            var outcome = (frames, sequence.Length - rest.Length, tooLarge);
            if (reference is not { } first)
            {
                reference = outcome;
                continue;
            }
            if (first.Consumed != outcome.Item2 || first.TooLarge != tooLarge || first.Frames.Count != frames.Count)
                throw new FuzzInvariantException(
                    $"A segmentation of {sequence.Length} bytes in {SegmentCount(sequence)} segments decoded {frames.Count} frames " +
                $"(consumed {outcome.Item2}, too large {tooLarge}); one segment decoded {first.Frames.Count} (consumed {first.Consumed}, too large {first.TooLarge}).");
            for (var i = 0; i < frames.Count; i++)
                Invariant.Equal(first.Frames[i], frames[i], $"Frame {i} under another segmentation");
        }

        var (decoded, decodedLength, _) = reference!.Value;
        var encoded = new ArrayBufferWriter<byte>();
        foreach (var frame in decoded)
            LengthPrefixedFrameCodec.Encode(frame, encoded, MaxPayload);
        Invariant.Equal(input.AsSpan(0, (int)decodedLength), encoded.WrittenSpan, "The decoded frames re-encoded");
    }

    /// <summary>An envelope (the chat message header inside a frame): span and sequence decoders agree and it re-encodes.</summary>
    public static void Envelope(byte[] input)
    {
        var ok = EnvelopeCodec.TryDecode(input, out var header, out var body);
        Invariant.That(ok == input.Length >= EnvelopeCodec.HeaderSize, "TryDecode's answer does not follow the length alone.");
        foreach (var sequence in Invariant.Segmentations(input))
        {
            var sequenceOk = EnvelopeCodec.TryDecode(sequence, out var sequenceHeader, out var sequenceBody);
            Invariant.That(sequenceOk == ok && sequenceHeader == header, "The sequence decoder disagrees with the span decoder.");
            if (ok)
                Invariant.Equal(body, sequenceBody.ToArray(), "The sequence decoder's body");
        }
        if (!ok)
            return;
        var destination = new byte[EnvelopeCodec.GetEncodedLength(body.Length)];
        EnvelopeCodec.Encode(header, body, destination);
        Invariant.Equal(input, destination, "The envelope re-encoded");
    }

    /// <summary>A close frame's body: a reason byte and strict UTF-8 text; what decodes re-encodes to the same bytes.</summary>
    public static void CloseReason(byte[] input)
    {
        CloseBody body = default;
        if (!Invariant.Parses<InvalidDataException>(input.Length, "CloseBody.Decode", () => body = CloseBody.Decode(input)))
            return;
        if (input.Length == 0)
        {
            Invariant.That(body.IsClean && body.Text.Length == 0, "An empty close body is not an orderly close.");
            return;
        }
        // The encoder keeps at most MaxTextBytes of text (it cuts longer text); below that the bytes come back unchanged.
        if (input.Length - 1 <= CloseBody.MaxTextBytes)
            Invariant.Equal(input, body.Encode(), "The close body re-encoded");
        else
            Invariant.That(body.Encode().Length <= 1 + CloseBody.MaxTextBytes, "A re-encoded close body is longer than the limit.");
    }

    /// <summary>
    /// A UDP datagram's SecretChat header: the span decoder, the sequence decoder under every segmentation and the
    /// throwing decoder agree, the header and body re-encode to the datagram, and every accepted packet obeys the size rules.
    /// </summary>
    public static void Packet(byte[] input)
    {
        var ok = PacketCodec.TryDecode(input, out var header, out var body, out var error);
        Invariant.That(ok == (error == PacketError.None), $"TryDecode returned {ok} with error {error}.");
        _ = header.ToString(); // what a log line does with any header, accepted or not
        foreach (var sequence in Invariant.Segmentations(input))
        {
            var sequenceOk = PacketCodec.TryDecode(sequence, out var sequenceHeader, out var sequenceBody, out var sequenceError);
            if (sequenceOk != ok || sequenceError != error || sequenceHeader != header)
                throw new FuzzInvariantException($"The sequence decoder says {sequenceOk}/{sequenceError}/{Describe(sequenceHeader)}, the span decoder {ok}/{error}/{Describe(header)}.");
            if (ok)
                Invariant.Equal(body, sequenceBody.ToArray(), "The sequence decoder's body");
        }
        var threw = false;
        try
        {
            PacketCodec.Decode(input, out _);
        }
        catch (InvalidDataException)
        {
            threw = true;
        }
        Invariant.That(threw != ok, "Decode and TryDecode disagree.");
        if (!ok)
            return;

        Invariant.That(input.Length <= PacketCodec.MaxDatagramSize, "An accepted datagram is larger than the limit.");
        Invariant.That(header.Size == PacketCodec.HeaderSize(header.Type), "The header's size is not its type's.");
        var destination = new byte[PacketCodec.EncodedSize(header, body.Length)];
        PacketCodec.Encode(header, body, destination);
        Invariant.Equal(input, destination, "The packet re-encoded");
    }

    private static string Describe(in PacketHeader header) =>
        $"{header.Type} {header.SessionId:x8} {header.MessageIndex} {header.Counter}";

    private static int SegmentCount(ReadOnlySequence<byte> sequence)
    {
        var count = 0;
        foreach (var _ in sequence)
            count++;
        return count;
    }
}
