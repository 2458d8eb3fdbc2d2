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

    public static HandshakeGreeting Empty { get; } = new(string.Empty, []);

    public HandshakeGreeting(string displayName, IReadOnlyList<string> capabilities)
    {
        ArgumentNullException.ThrowIfNull(displayName);
        ArgumentNullException.ThrowIfNull(capabilities);
        if (System.Text.Encoding.UTF8.GetByteCount(displayName) > MaxNameBytes)
            throw new ArgumentException($"A display name holds at most {MaxNameBytes} bytes of UTF-8.", nameof(displayName));
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

    public bool Supports(string capability) => Capabilities.Contains(capability);
}
