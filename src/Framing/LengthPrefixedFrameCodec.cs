using System.Buffers;
using System.Buffers.Binary;

namespace SecretChat.Framing;

/// <summary>
/// Frames over a byte stream: a 4-byte big-endian unsigned payload length, then the payload.
/// Zero-length frames are valid.
/// </summary>
/// <remarks>
/// Decoding is a pure function over what has arrived so far, in the BedrockFramework style:
/// <see cref="TryDecode"/> returns <see langword="false"/> for "need more data", and the read loop
/// then advances with <c>consumed = input.Start</c> and <c>examined = input.End</c>.
/// </remarks>
public static class LengthPrefixedFrameCodec
{
    /// <summary>Size of the length prefix.</summary>
    public const int HeaderSize = 4;

    /// <summary>The payload limit used unless a caller chooses another.</summary>
    public const int DefaultMaxPayloadSize = 64 * 1024;

    /// <summary>The number of bytes one frame with a payload of <paramref name="payloadLength"/> bytes occupies.</summary>
    public static int GetEncodedLength(int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        return checked(HeaderSize + payloadLength);
    }

    /// <summary>Tries to decode the first frame in <paramref name="input"/>.</summary>
    /// <param name="input">The bytes received and not yet consumed.</param>
    /// <param name="maxPayloadSize">The largest payload accepted.</param>
    /// <param name="payload">The frame's payload: a slice of <paramref name="input"/>, valid as long as it is.</param>
    /// <param name="consumed">The end of the frame when one was decoded; <c>input.Start</c> otherwise.</param>
    /// <returns><see langword="true"/> when a whole frame was present; <see langword="false"/> when more data is needed.</returns>
    /// <exception cref="FrameTooLargeException">The header announces more than <paramref name="maxPayloadSize"/> bytes.</exception>
    public static bool TryDecode(
        in ReadOnlySequence<byte> input,
        int maxPayloadSize,
        out ReadOnlySequence<byte> payload,
        out SequencePosition consumed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPayloadSize);

        if (input.Length < HeaderSize)
            return NeedMoreData(input, out payload, out consumed);

        var declaredLength = ReadLength(input);
        // Checked before waiting for the payload: a hostile length must not make us buffer anything.
        if (declaredLength > (uint)maxPayloadSize)
            throw new FrameTooLargeException(declaredLength, maxPayloadSize);

        if (input.Length - HeaderSize < declaredLength)
            return NeedMoreData(input, out payload, out consumed);

        payload = input.Slice(HeaderSize, declaredLength);
        consumed = payload.End;
        return true;
    }

    /// <summary>Writes one frame into <paramref name="output"/> (header and payload; no flush).</summary>
    /// <exception cref="ArgumentException">The payload is longer than <paramref name="maxPayloadSize"/>.</exception>
    public static void Encode(ReadOnlySpan<byte> payload, IBufferWriter<byte> output, int maxPayloadSize = DefaultMaxPayloadSize)
    {
        ArgumentNullException.ThrowIfNull(output);
        ThrowIfPayloadTooLarge(payload.Length, maxPayloadSize);

        var header = output.GetSpan(HeaderSize);
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)payload.Length);
        output.Advance(HeaderSize);
        // Write() spreads the payload over as many buffers as the writer hands out, so a writer
        // with small segments never has to find one contiguous block for a 64 KiB frame.
        output.Write(payload);
    }

    /// <summary>Writes one frame into <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes written (<see cref="GetEncodedLength"/>).</returns>
    /// <exception cref="ArgumentException">The payload is too long, or <paramref name="destination"/> too short.</exception>
    public static int Encode(ReadOnlySpan<byte> payload, Span<byte> destination, int maxPayloadSize = DefaultMaxPayloadSize)
    {
        ThrowIfPayloadTooLarge(payload.Length, maxPayloadSize);
        var length = HeaderSize + payload.Length;
        if (destination.Length < length)
            throw new ArgumentException(
                $"The destination holds {destination.Length} bytes; the frame needs {length}.", nameof(destination));

        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)payload.Length);
        payload.CopyTo(destination[HeaderSize..]);
        return length;
    }

    private static uint ReadLength(in ReadOnlySequence<byte> input)
    {
        var first = input.FirstSpan;
        if (first.Length >= HeaderSize)
            return BinaryPrimitives.ReadUInt32BigEndian(first);

        // The header straddles segments (one byte per segment in the worst case).
        Span<byte> header = stackalloc byte[HeaderSize];
        input.Slice(0, HeaderSize).CopyTo(header);
        return BinaryPrimitives.ReadUInt32BigEndian(header);
    }

    private static bool NeedMoreData(in ReadOnlySequence<byte> input, out ReadOnlySequence<byte> payload, out SequencePosition consumed)
    {
        payload = default;
        consumed = input.Start;
        return false;
    }

    private static void ThrowIfPayloadTooLarge(int payloadLength, int maxPayloadSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPayloadSize);
        if (payloadLength > maxPayloadSize)
            throw new ArgumentException(
                $"The payload is {payloadLength} bytes; a frame carries at most {maxPayloadSize}.", "payload");
    }
}
