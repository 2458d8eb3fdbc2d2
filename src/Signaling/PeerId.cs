using System.Globalization;
using System.Security.Cryptography;

namespace SecretChat.Signaling;

/// <summary>
/// A random 64-bit id a client picks for one registration. It makes retransmitted Registers idempotent and lets a peer
/// keep its place when its NAT mapping changes; it is hard to guess, so others cannot take over a registration.
/// </summary>
public readonly record struct PeerId(ulong Value)
{
    /// <summary>A fresh id from the cryptographic random number generator.</summary>
    public static PeerId New() => new(BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)));

    /// <summary>The id as 16 lowercase hexadecimal digits.</summary>
    public override string ToString() => Value.ToString("x16", CultureInfo.InvariantCulture);
}
