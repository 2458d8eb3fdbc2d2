namespace SecretChat.Transport.Stun;

/// <summary>Attribute type numbers (RFC 8489 §18.3, RFC 8445 for ICE, RFC 5780 for NAT behaviour discovery).</summary>
public static class StunAttributeType
{
    public const ushort MappedAddress = 0x0001;
    public const ushort ChangeRequest = 0x0003;
    public const ushort Username = 0x0006;
    public const ushort MessageIntegrity = 0x0008;
    public const ushort ErrorCode = 0x0009;
    public const ushort UnknownAttributes = 0x000A;
    public const ushort Realm = 0x0014;
    public const ushort Nonce = 0x0015;
    public const ushort MessageIntegritySha256 = 0x001C;
    public const ushort PasswordAlgorithm = 0x001D;
    public const ushort UserHash = 0x001E;
    public const ushort XorMappedAddress = 0x0020;
    public const ushort Priority = 0x0024;
    public const ushort UseCandidate = 0x0025;
    public const ushort PasswordAlgorithms = 0x8002;
    public const ushort AlternateDomain = 0x8003;
    public const ushort Software = 0x8022;
    public const ushort AlternateServer = 0x8023;
    public const ushort Fingerprint = 0x8028;
    public const ushort IceControlled = 0x8029;
    public const ushort IceControlling = 0x802A;
    public const ushort ResponseOrigin = 0x802B;
    public const ushort OtherAddress = 0x802C;

    /// <summary>Types 0x0000–0x7FFF must be understood by the receiver; 0x8000–0xFFFF may be skipped.</summary>
    public static bool IsComprehensionRequired(ushort type) => type < 0x8000;

    /// <summary>The comprehension-required attributes this codec knows (everything else in that range is reported as unknown).</summary>
    public static bool IsKnown(ushort type) => type switch
    {
        MappedAddress or ChangeRequest or Username or MessageIntegrity or ErrorCode or UnknownAttributes or Realm or Nonce
            or MessageIntegritySha256 or PasswordAlgorithm or UserHash or XorMappedAddress or Priority or UseCandidate => true,
        _ => !IsComprehensionRequired(type),
    };
}
