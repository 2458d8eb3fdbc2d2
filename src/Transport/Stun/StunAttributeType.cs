namespace SecretChat.Transport.Stun;

/// <summary>Attribute type numbers (RFC 8489 §18.3, RFC 8445 for ICE, RFC 5780 for NAT behaviour discovery, RFC 8656 for TURN).</summary>
public static class StunAttributeType
{
    /// <summary>
    /// MAPPED-ADDRESS: the reflexive address in the clear (RFC 3489 servers; RFC 8489 keeps it for compatibility).
    /// </summary>
    public const ushort MappedAddress = 0x0001;
    /// <summary>CHANGE-REQUEST: asks the server to answer from another address or port (RFC 5780).</summary>
    public const ushort ChangeRequest = 0x0003;
    /// <summary>USERNAME: the user name for MESSAGE-INTEGRITY, UTF-8.</summary>
    public const ushort Username = 0x0006;
    /// <summary>MESSAGE-INTEGRITY: an HMAC-SHA1 over the message before it.</summary>
    public const ushort MessageIntegrity = 0x0008;
    /// <summary>ERROR-CODE: the code and reason phrase of an error response.</summary>
    public const ushort ErrorCode = 0x0009;
    /// <summary>UNKNOWN-ATTRIBUTES: the comprehension-required types a 420 error response did not understand.</summary>
    public const ushort UnknownAttributes = 0x000A;
    /// <summary>CHANNEL-NUMBER: the TURN channel a ChannelBind binds, 0x4000 to 0x4FFF (RFC 8656 §18.1).</summary>
    public const ushort ChannelNumber = 0x000C;
    /// <summary>LIFETIME: seconds a TURN allocation lives without a Refresh (RFC 8656 §18.2).</summary>
    public const ushort Lifetime = 0x000D;
    /// <summary>XOR-PEER-ADDRESS: the peer's address as the TURN relay sees it, XORed like XOR-MAPPED-ADDRESS (RFC 8656 §18.3).</summary>
    public const ushort XorPeerAddress = 0x0012;
    /// <summary>DATA: the application payload of a TURN Send or Data indication (RFC 8656 §18.4).</summary>
    public const ushort Data = 0x0013;
    /// <summary>REALM: the realm of long-term credentials.</summary>
    public const ushort Realm = 0x0014;
    /// <summary>NONCE: the server's nonce for long-term credentials.</summary>
    public const ushort Nonce = 0x0015;
    /// <summary>XOR-RELAYED-ADDRESS: the address the TURN server relays from for this allocation (RFC 8656 §18.5).</summary>
    public const ushort XorRelayedAddress = 0x0016;
    /// <summary>REQUESTED-ADDRESS-FAMILY: the address family of the relayed address asked for (RFC 8656 §18.6).</summary>
    public const ushort RequestedAddressFamily = 0x0017;
    /// <summary>EVEN-PORT: asks for an even relayed port (RFC 8656 §18.7).</summary>
    public const ushort EvenPort = 0x0018;
    /// <summary>REQUESTED-TRANSPORT: the transport the relay uses towards peers, 17 for UDP (RFC 8656 §18.8).</summary>
    public const ushort RequestedTransport = 0x0019;
    /// <summary>DONT-FRAGMENT: asks the relay to set DF towards the peer (RFC 8656 §18.9).</summary>
    public const ushort DontFragment = 0x001A;
    /// <summary>MESSAGE-INTEGRITY-SHA256: an HMAC-SHA256 over the message before it.</summary>
    public const ushort MessageIntegritySha256 = 0x001C;
    /// <summary>PASSWORD-ALGORITHM: the algorithm the client chose for the long-term password.</summary>
    public const ushort PasswordAlgorithm = 0x001D;
    /// <summary>USERHASH: the hashed user name, in place of USERNAME.</summary>
    public const ushort UserHash = 0x001E;
    /// <summary>
    /// XOR-MAPPED-ADDRESS: the reflexive address, XORed with the magic cookie (and transaction id for IPv6).
    /// </summary>
    public const ushort XorMappedAddress = 0x0020;
    /// <summary>RESERVATION-TOKEN: a token for a relayed port reserved by EVEN-PORT (RFC 8656 §18.10).</summary>
    public const ushort ReservationToken = 0x0022;
    /// <summary>PRIORITY: the priority of an ICE candidate (RFC 8445).</summary>
    public const ushort Priority = 0x0024;
    /// <summary>USE-CANDIDATE: the controlling ICE agent nominates this pair (RFC 8445).</summary>
    public const ushort UseCandidate = 0x0025;
    /// <summary>PASSWORD-ALGORITHMS: the algorithms a server offers for the long-term password.</summary>
    public const ushort PasswordAlgorithms = 0x8002;
    /// <summary>ALTERNATE-DOMAIN: the domain name of an alternate server, for TLS certificate checks.</summary>
    public const ushort AlternateDomain = 0x8003;
    /// <summary>SOFTWARE: the name and version of the agent that sent the message, UTF-8.</summary>
    public const ushort Software = 0x8022;
    /// <summary>ALTERNATE-SERVER: the server a 300 Try Alternate response redirects to.</summary>
    public const ushort AlternateServer = 0x8023;
    /// <summary>
    /// FINGERPRINT: a CRC-32 over the message before it, XORed with 0x5354554e; always the last attribute.
    /// </summary>
    public const ushort Fingerprint = 0x8028;
    /// <summary>ICE-CONTROLLED: the sender is the controlled ICE agent; carries its tie-breaker (RFC 8445).</summary>
    public const ushort IceControlled = 0x8029;
    /// <summary>ICE-CONTROLLING: the sender is the controlling ICE agent; carries its tie-breaker (RFC 8445).</summary>
    public const ushort IceControlling = 0x802A;
    /// <summary>RESPONSE-ORIGIN: the address the response was sent from (RFC 5780).</summary>
    public const ushort ResponseOrigin = 0x802B;
    /// <summary>OTHER-ADDRESS: the server's alternate address for CHANGE-REQUEST (RFC 5780).</summary>
    public const ushort OtherAddress = 0x802C;

    /// <summary>Types 0x0000–0x7FFF must be understood by the receiver; 0x8000–0xFFFF may be skipped.</summary>
    public static bool IsComprehensionRequired(ushort type) => type < 0x8000;

    /// <summary>The comprehension-required attributes this codec knows (everything else in that range is reported as unknown).</summary>
    public static bool IsKnown(ushort type) => type switch
    {
        MappedAddress or ChangeRequest or Username or MessageIntegrity or ErrorCode or UnknownAttributes or Realm or Nonce
            or MessageIntegritySha256 or PasswordAlgorithm or UserHash or XorMappedAddress or Priority or UseCandidate => true,
        ChannelNumber or Lifetime or XorPeerAddress or Data or XorRelayedAddress or RequestedAddressFamily or EvenPort
            or RequestedTransport or DontFragment or ReservationToken => true,
        _ => !IsComprehensionRequired(type),
    };
}
