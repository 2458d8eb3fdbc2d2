using System.Net;
using System.Security.Cryptography;

namespace SecretChat.Security;

/// <summary>
/// Stateless return-routability cookies, as WireGuard's cookie reply and DTLS's HelloVerifyRequest: the cookie for a
/// source is HMAC-SHA256(secret, address | port) cut to 16 bytes. The secret is random and rotates every
/// <see cref="Rotation"/> on the caller's clock; a cookie made under the previous secret is still accepted, so one
/// lives between one and two rotations. Nothing is stored per source. The signaling server and the UDP listener
/// both use it. Not thread-safe: the caller serialises the calls.
/// </summary>
public sealed class SourceCookies
{
    /// <summary>How often the secret rotates by default (two minutes, as WireGuard's cookie secret).</summary>
    public static readonly TimeSpan DefaultRotation = TimeSpan.FromMinutes(2);

    private byte[] _current = RandomNumberGenerator.GetBytes(32);
    private byte[] _previous = RandomNumberGenerator.GetBytes(32);
    private DateTimeOffset _rotatedAt;

    /// <summary>Cookies whose secret rotates every <paramref name="rotation"/>, counted from <paramref name="now"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rotation"/> is not positive.</exception>
    public SourceCookies(TimeSpan rotation, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rotation, TimeSpan.Zero);
        Rotation = rotation;
        _rotatedAt = now;
    }

    /// <summary>How often the secret rotates.</summary>
    public TimeSpan Rotation { get; }

    /// <summary>The cookie for <paramref name="source"/> under the current secret.</summary>
    public AddressCookie For(IPEndPoint source, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(source);
        Rotate(now);
        return Compute(_current, source);
    }

    /// <summary>True when <paramref name="presented"/> is <paramref name="source"/>'s cookie under the current or the previous secret.</summary>
    public bool IsValid(AddressCookie presented, IPEndPoint source, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(source);
        Rotate(now);
        if (presented.IsNone)
            return false;
        // Both checked whatever the first says: the time taken tells nothing about which secret matched.
        var current = Compute(_current, source).Matches(presented);
        var previous = Compute(_previous, source).Matches(presented);
        return current | previous;
    }

    private void Rotate(DateTimeOffset now)
    {
        var elapsed = now - _rotatedAt;
        if (elapsed < Rotation)
            return;
        // After two rotations or more without traffic, neither old secret may survive.
        _previous = elapsed < 2 * Rotation ? _current : RandomNumberGenerator.GetBytes(32);
        _current = RandomNumberGenerator.GetBytes(32);
        _rotatedAt = now;
    }

    private static AddressCookie Compute(byte[] secret, IPEndPoint source)
    {
        Span<byte> input = stackalloc byte[18];
        source.Address.TryWriteBytes(input, out var written);
        input[written++] = (byte)(source.Port >> 8);
        input[written++] = (byte)source.Port;
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(secret, input[..written], mac);
        return AddressCookie.Read(mac);
    }
}
