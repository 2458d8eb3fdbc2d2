using System.Text;

namespace SecretChat.Framing;

/// <summary>
/// The body of a <see cref="EnvelopeKind.Close"/> envelope (protocol 2): <c>[reason u8][text UTF-8, optional]</c>.
/// The envelope's id is 0 and carries no meaning. The text is for people; at most <see cref="MaxTextBytes"/> bytes.
/// </summary>
public readonly record struct CloseBody(CloseReason Reason, string Text)
{
    /// <summary>The longest text a close carries; a longer one is cut at a character boundary when encoded.</summary>
    public const int MaxTextBytes = 256;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Only an orderly close is a clean end; every other reason, known or not, is not.</summary>
    public bool IsClean => Reason == CloseReason.Orderly;

    /// <summary>The body bytes: the reason, then the text cut to <see cref="MaxTextBytes"/> at a character boundary.</summary>
    public byte[] Encode()
    {
        var text = Text ?? string.Empty;
        while (StrictUtf8.GetByteCount(text) > MaxTextBytes)
            text = text[..^(char.IsLowSurrogate(text[^1]) && text.Length > 1 ? 2 : 1)];
        var bytes = new byte[1 + StrictUtf8.GetByteCount(text)];
        bytes[0] = (byte)Reason;
        StrictUtf8.GetBytes(text, bytes.AsSpan(1));
        return bytes;
    }

    /// <summary>Decodes a close body; an empty body is an orderly close without text.</summary>
    /// <exception cref="InvalidDataException">The text is not UTF-8.</exception>
    public static CloseBody Decode(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
            return new CloseBody(CloseReason.Orderly, string.Empty);
        try
        {
            return new CloseBody((CloseReason)body[0], StrictUtf8.GetString(body[1..]));
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException("The close reason's text is not valid UTF-8.", e);
        }
    }
}
