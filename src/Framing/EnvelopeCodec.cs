using System.Buffers;
using System.Buffers.Binary;

namespace SecretChat.Framing;

/// <summary>
/// The plaintext message inside a sealed frame: <c>[kind u8][id u64 BE][timestamp i64 BE][body...]</c>.
/// The body runs to the end of the input; its meaning depends on <see cref="EnvelopeKind"/>.
/// </summary>
public static class EnvelopeCodec
{
    /// <summary>Size of the fixed header: kind, id and timestamp.</summary>
    public const int HeaderSize = 1 + sizeof(ulong) + sizeof(long);

    private const int IdOffset = 1;
    private const int TimestampOffset = IdOffset + sizeof(ulong);

    /// <summary>The number of bytes an envelope with a body of <paramref name="bodyLength"/> bytes occupies.</summary>
    public static int GetEncodedLength(int bodyLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bodyLength);
        return checked(HeaderSize + bodyLength);
    }

    /// <summary>Writes an envelope into <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static int Encode(in EnvelopeHeader header, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        var length = GetEncodedLength(body.Length);
        if (destination.Length < length)
            throw new ArgumentException(
                $"The destination holds {destination.Length} bytes; the envelope needs {length}.", nameof(destination));

        WriteHeader(header, destination);
        body.CopyTo(destination[HeaderSize..]);
        return length;
    }

    /// <summary>Writes an envelope into <paramref name="output"/>.</summary>
    public static void Encode(in EnvelopeHeader header, ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        WriteHeader(header, output.GetSpan(HeaderSize));
        output.Advance(HeaderSize);
        output.Write(body);
    }

    /// <summary>Decodes an envelope whose bytes are contiguous.</summary>
    /// <returns><see langword="false"/> when the input is shorter than the header.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> input, out EnvelopeHeader header, out ReadOnlySpan<byte> body)
    {
        if (input.Length < HeaderSize)
        {
            header = default;
            body = default;
            return false;
        }

        header = ReadHeader(input);
        body = input[HeaderSize..];
        return true;
    }

    /// <summary>Decodes an envelope that may span several buffers; the body is a slice of the input.</summary>
    /// <returns><see langword="false"/> when the input is shorter than the header.</returns>
    public static bool TryDecode(in ReadOnlySequence<byte> input, out EnvelopeHeader header, out ReadOnlySequence<byte> body)
    {
        if (input.Length < HeaderSize)
        {
            header = default;
            body = default;
            return false;
        }

        var first = input.FirstSpan;
        if (first.Length >= HeaderSize)
        {
            header = ReadHeader(first);
        }
        else
        {
            Span<byte> bytes = stackalloc byte[HeaderSize];
            input.Slice(0, HeaderSize).CopyTo(bytes);
            header = ReadHeader(bytes);
        }

        body = input.Slice(HeaderSize);
        return true;
    }

    private static void WriteHeader(in EnvelopeHeader header, Span<byte> destination)
    {
        destination[0] = (byte)header.Kind;
        BinaryPrimitives.WriteUInt64BigEndian(destination[IdOffset..], header.Id);
        BinaryPrimitives.WriteInt64BigEndian(destination[TimestampOffset..], header.TimestampUnixMilliseconds);
    }

    private static EnvelopeHeader ReadHeader(ReadOnlySpan<byte> input) => new(
        (EnvelopeKind)input[0],
        BinaryPrimitives.ReadUInt64BigEndian(input[IdOffset..]),
        BinaryPrimitives.ReadInt64BigEndian(input[TimestampOffset..]));
}
