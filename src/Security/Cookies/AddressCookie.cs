using System.Buffers.Binary;

namespace SecretChat.Security;

/// <summary>
/// Proof that a source receives at its address (return routability): the signaling server sends it in a Cookie packet
/// to the address a Register (or an address-changing KeepAlive) came from, a UDP listener to the address a hello came
/// from, and each acts only on a packet that brings it back.
/// 16 bytes of HMAC-SHA256 over the address and port under a secret that rotates (<see cref="SourceCookies"/>).
/// All zero means none.
/// </summary>
public readonly record struct AddressCookie(ulong High, ulong Low)
{
    /// <summary>Bytes on the wire.</summary>
    public const int Length = 16;

    /// <summary>True for the all-zero cookie: none (a first Register carries none).</summary>
    public bool IsNone => High == 0 && Low == 0;

    /// <summary>Reads a cookie from the first <see cref="Length"/> bytes of <paramref name="source"/> (big-endian).</summary>
    public static AddressCookie Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));

    /// <summary>Writes the cookie into the first <see cref="Length"/> bytes of <paramref name="destination"/> (big-endian).</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    /// <summary>Compares in constant time.</summary>
    public bool Matches(AddressCookie presented) =>
        ((High ^ presented.High) | (Low ^ presented.Low)) == 0; // no early exit: bitwise, not ==

    /// <summary>Never the value: "none" or "cookie".</summary>
    public override string ToString() => IsNone ? "none" : "cookie";
}
