using System.Net;
using System.Net.Sockets;

namespace SecretChat.Signaling;

/// <summary>
/// A standard TURN server (coturn with <c>use-auth-secret</c>, or any server of the same shared-secret scheme) that the
/// signaling server hands its matched members credentials for, so their p2p sessions relay through it rather than
/// through the built-in relay.
/// </summary>
/// <remarks>A class, not a record: a record's generated <c>ToString</c> and equality would expose the secret.</remarks>
public sealed class TurnRelayOptions
{
    /// <summary>The longest shared secret taken (a secret file is read up to this many bytes).</summary>
    public const int MaxSecretBytes = 1024;

    private readonly byte[] _secret;

    /// <param name="server">The TURN server's UDP address, as the clients reach it.</param>
    /// <param name="sharedSecret">coturn's <c>static-auth-secret</c>: the HMAC key of every password (copied).</param>
    /// <exception cref="ArgumentNullException">A null argument.</exception>
    /// <exception cref="ArgumentException">The secret is empty or longer than <see cref="MaxSecretBytes"/>, or the address is not one a client can send to.</exception>
    public TurnRelayOptions(IPEndPoint server, ReadOnlySpan<byte> sharedSecret)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (sharedSecret.IsEmpty || sharedSecret.Length > MaxSecretBytes)
            throw new ArgumentException($"A TURN shared secret is 1–{MaxSecretBytes} bytes.", nameof(sharedSecret));
        if (server.Port == 0 || server.Address.Equals(IPAddress.Any) || server.Address.Equals(IPAddress.IPv6Any) || IsMulticast(server.Address))
            throw new ArgumentException($"{server} is not an address a client can send to: give the TURN server's unicast address and port.", nameof(server));
        Server = server;
        _secret = sharedSecret.ToArray();
    }

    /// <summary>The TURN server's UDP address.</summary>
    public IPEndPoint Server { get; }

    /// <summary>
    /// How long the credentials handed to a member are valid (default 1 hour, at least 1 minute and at most 7 days). A member
    /// that keeps its membership is sent new ones once less than half of this remains; a TURN server refuses the old ones
    /// after it, so a leaked credential is worth at most this long.
    /// </summary>
    public TimeSpan CredentialLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The shortest <see cref="CredentialLifetime"/> taken (1 minute): tests lower it to seconds, so that a session can
    /// outlive several credentials while they watch.
    /// </summary>
    internal TimeSpan MinimumCredentialLifetime { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The shared secret (a copy is kept; it never appears in <see cref="ToString"/>).</summary>
    internal ReadOnlySpan<byte> SharedSecret => _secret;

    /// <summary>Never the secret.</summary>
    public override string ToString() => $"TURN at {Server} (credentials valid {CredentialLifetime.TotalMinutes:0} min)";

    internal void Validate()
    {
        if (CredentialLifetime < MinimumCredentialLifetime || CredentialLifetime > TimeSpan.FromDays(7))
            throw new ArgumentOutOfRangeException(nameof(CredentialLifetime), CredentialLifetime, "Must be 1 minute to 7 days.");
    }

    private static bool IsMulticast(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6
        ? address.IsIPv6Multicast
        : (address.GetAddressBytes()[0] & 0xF0) == 0xE0 || address.Equals(IPAddress.Broadcast);
}
