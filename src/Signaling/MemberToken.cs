using System.Buffers.Binary;
using System.Security.Cryptography;

namespace SecretChat.Signaling;

/// <summary>
/// The secret the server hands a member in its Registered or PeerInfo (128 random bits from a CSPRNG): KeepAlive,
/// Leave, Relay and any address change must carry it, so knowing a room's name and a peer id (both travel in the
/// clear) is not enough to act for a member. The server sends each member's token back in the Relayed packets it
/// forwards to it, so a datagram merely forged from the server's address is not taken as relayed either.
/// </summary>
public readonly record struct MemberToken(ulong High, ulong Low)
{
    /// <summary>Bytes on the wire.</summary>
    public const int Length = 16;

    /// <summary>The all-zero token: none (a client that has not registered yet).</summary>
    public bool IsNone => High == 0 && Low == 0;

    /// <summary>A fresh token of 128 bits from the operating system's CSPRNG.</summary>
    public static MemberToken New()
    {
        Span<byte> bytes = stackalloc byte[Length];
        RandomNumberGenerator.Fill(bytes);
        return Read(bytes);
    }

    /// <summary>Reads a token from the first <see cref="Length"/> bytes of <paramref name="source"/> (big-endian).</summary>
    public static MemberToken Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));

    /// <summary>Writes the token into the first <see cref="Length"/> bytes of <paramref name="destination"/> (big-endian).</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    /// <summary>Compares in constant time (record equality would stop at the first differing word).</summary>
    public bool Matches(MemberToken presented) =>
        ((High ^ presented.High) | (Low ^ presented.Low)) == 0 && !IsNone; // no early exit: bitwise, not ==

    /// <summary>Never the value: tokens do not belong in logs.</summary>
    public override string ToString() => IsNone ? "none" : "token";
}
