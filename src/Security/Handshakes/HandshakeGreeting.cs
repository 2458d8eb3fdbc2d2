namespace SecretChat.Security;

/// <summary>
/// What a side says about itself inside the handshake (protocol 2): its display name and the capabilities it
/// supports. It travels in the payload of the side's last handshake message, encrypted where the mode allows
/// (noise: both; rsa: both; pseudo: nothing is secret). Unknown capabilities are ignored by the receiver.
/// </summary>
public sealed record HandshakeGreeting
{
    /// <summary>The longest display name, in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 128;

    /// <summary>The most capabilities one greeting lists.</summary>
    public const int MaxCapabilities = 16;

    /// <summary>No name and no capabilities (what a handshake sends when the caller gives no greeting).</summary>
    public static HandshakeGreeting Empty { get; } = new(string.Empty, []);

    /// <param name="displayName">
    /// The sender's name, at most <see cref="MaxNameBytes"/> bytes of UTF-8, one that <see cref="Identity.PeerName"/>
    /// allows (it is sent NFKC-normalized), or empty for none.
    /// </param>
    /// <param name="capabilities">At most <see cref="MaxCapabilities"/> identifiers in the module-id alphabet.</param>
    /// <exception cref="ArgumentException">The name is too long or not allowed, or there are too many or malformed capabilities.</exception>
    public HandshakeGreeting(string displayName, IReadOnlyList<string> capabilities)
    {
        ArgumentNullException.ThrowIfNull(displayName);
        ArgumentNullException.ThrowIfNull(capabilities);
        if (System.Text.Encoding.UTF8.GetByteCount(displayName) > MaxNameBytes)
            throw new ArgumentException($"A display name holds at most {MaxNameBytes} bytes of UTF-8.", nameof(displayName));
        if (displayName.Length > 0)
        {
            // The peer refuses a name PeerName does not allow: never send one.
            if (!Identity.PeerName.TryParse(displayName, out var name, out var problem))
                throw new ArgumentException($"The name {Identity.PeerName.Visible(displayName)} is not allowed: {problem}.", nameof(displayName));
            displayName = name.Value;
        }
        if (capabilities.Count > MaxCapabilities)
            throw new ArgumentException($"A greeting lists at most {MaxCapabilities} capabilities.", nameof(capabilities));
        foreach (var capability in capabilities)
        {
            if (!ProtocolHello.IsValidModuleId(capability))
                throw new ArgumentException(
                    $"A capability is 1 to {ProtocolHello.MaxModuleIdLength} characters of a-z, 0-9, '.', '_' and '-'; \"{capability}\" is not.", nameof(capabilities));
        }
        DisplayName = displayName;
        Capabilities = [.. capabilities];
    }

    /// <summary>The sender's display name (empty: none given).</summary>
    public string DisplayName { get; }

    /// <summary>The capabilities the sender listed, known or not, in its order.</summary>
    public IReadOnlyList<string> Capabilities { get; }

    /// <summary>True when the sender listed <paramref name="capability"/>.</summary>
    public bool Supports(string capability) => Capabilities.Contains(capability);
}
