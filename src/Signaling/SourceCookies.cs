using System.Net;
using System.Security.Cryptography;

namespace SecretChat.Signaling;

/// <summary>
/// Stateless return-routability cookies, as WireGuard's cookie reply and DTLS's HelloVerifyRequest: the cookie for a
/// source is HMAC-SHA256(secret, address | port) cut to 16 bytes. The secret is random and rotates every
/// <see cref="SignalingServerOptions.CookieRotation"/> on the scheduler's clock; a cookie made under the previous
/// secret is still accepted, so one lives between one and two rotations. Nothing is stored per source.
/// </summary>
internal sealed class SourceCookies
{
    private readonly TimeSpan _rotation;
    private byte[] _current = RandomNumberGenerator.GetBytes(32);
    private byte[] _previous = RandomNumberGenerator.GetBytes(32);
    private DateTimeOffset _rotatedAt;

    public SourceCookies(TimeSpan rotation, DateTimeOffset now)
    {
        _rotation = rotation;
        _rotatedAt = now;
    }

    public AddressCookie For(IPEndPoint source, DateTimeOffset now)
    {
        Rotate(now);
        return Compute(_current, source);
    }

    public bool IsValid(AddressCookie presented, IPEndPoint source, DateTimeOffset now)
    {
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
        if (elapsed < _rotation)
            return;
        // After two rotations or more without traffic, neither old secret may survive.
        _previous = elapsed < 2 * _rotation ? _current : RandomNumberGenerator.GetBytes(32);
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
