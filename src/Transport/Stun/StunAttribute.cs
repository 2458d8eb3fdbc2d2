namespace SecretChat.Transport.Stun;

/// <summary>One attribute as it appeared on the wire: its type, its value (without padding) and where its header starts.</summary>
public readonly record struct StunAttribute(ushort Type, ReadOnlyMemory<byte> Value, int Offset);
