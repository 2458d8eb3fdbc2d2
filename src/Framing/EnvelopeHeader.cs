namespace SecretChat.Framing;

/// <summary>The fixed part of a message envelope.</summary>
/// <param name="Kind">What the envelope carries (may be a kind this version does not know).</param>
/// <param name="Id">The sender's message id; for <see cref="EnvelopeKind.Ack"/>, the id acknowledged.</param>
/// <param name="TimestampUnixMilliseconds">When the sender created the message, in Unix milliseconds.</param>
public readonly record struct EnvelopeHeader(EnvelopeKind Kind, ulong Id, long TimestampUnixMilliseconds);
