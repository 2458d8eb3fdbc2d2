using System.Globalization;

namespace SecretChat.Transport.Stun;

/// <summary>A STUN message type: a 12-bit method and a class, interleaved on the wire (RFC 8489 §5).</summary>
public readonly record struct StunMessageType
{
    /// <summary>The only method RFC 8489 defines.</summary>
    public const ushort BindingMethod = 0x001;

    /// <summary>TURN Allocate: reserve a relayed address on the server (RFC 8656 §7).</summary>
    public const ushort AllocateMethod = 0x003;

    /// <summary>TURN Refresh: keep an allocation alive, or end it with LIFETIME 0 (RFC 8656 §8).</summary>
    public const ushort RefreshMethod = 0x004;

    /// <summary>TURN Send: an indication carrying a datagram for the relay to send to a peer (RFC 8656 §11).</summary>
    public const ushort SendMethod = 0x006;

    /// <summary>TURN Data: an indication carrying a datagram the relay received from a peer (RFC 8656 §11).</summary>
    public const ushort DataMethod = 0x007;

    /// <summary>TURN CreatePermission: let a peer's address send through the relay (RFC 8656 §10).</summary>
    public const ushort CreatePermissionMethod = 0x008;

    /// <summary>TURN ChannelBind: bind a channel number to a peer, for ChannelData (RFC 8656 §12).</summary>
    public const ushort ChannelBindMethod = 0x009;

    /// <summary>A Binding request: "what address do you see me at?".</summary>
    public static StunMessageType BindingRequest { get; } = new(BindingMethod, StunClass.Request);

    /// <summary>A Binding success response, carrying the reflexive address.</summary>
    public static StunMessageType BindingSuccess { get; } = new(BindingMethod, StunClass.SuccessResponse);

    /// <summary>A Binding error response, carrying ERROR-CODE.</summary>
    public static StunMessageType BindingError { get; } = new(BindingMethod, StunClass.ErrorResponse);

    /// <summary>A Binding indication (a keepalive that expects no answer).</summary>
    public static StunMessageType BindingIndication { get; } = new(BindingMethod, StunClass.Indication);

    /// <summary>The type of <paramref name="method"/> in <paramref name="class"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="method"/> does not fit in 12 bits.</exception>
    public StunMessageType(ushort method, StunClass @class)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(method, (ushort)0xFFF);
        Method = method;
        Class = @class;
    }

    /// <summary>The 12-bit method (<see cref="BindingMethod"/>, or one of TURN's such as <see cref="AllocateMethod"/>).</summary>
    public ushort Method { get; }

    /// <summary>The class: request, indication, success or error response.</summary>
    public StunClass Class { get; }

    /// <summary>The 14-bit wire value: M11..M7 C1 M6..M4 C0 M3..M0.</summary>
    public ushort Value =>
        (ushort)((Method & 0x000F) | ((Method & 0x0070) << 1) | ((Method & 0x0F80) << 2)
                 | (((int)Class & 1) << 4) | (((int)Class & 2) << 7));

    /// <summary>The type encoded in the 14-bit wire <paramref name="value"/> (the top two bits are ignored).</summary>
    public static StunMessageType FromValue(ushort value)
    {
        var method = (ushort)((value & 0x000F) | ((value & 0x00E0) >> 1) | ((value & 0x3E00) >> 2));
        var @class = (StunClass)(((value >> 4) & 1) | ((value >> 7) & 2));
        return new StunMessageType(method, @class);
    }

    /// <summary><c>Binding Request</c>, <c>Allocate SuccessResponse</c> and the like; other methods in hexadecimal.</summary>
    public override string ToString() => Method switch
    {
        BindingMethod => $"Binding {Class}",
        AllocateMethod => $"Allocate {Class}",
        RefreshMethod => $"Refresh {Class}",
        SendMethod => $"Send {Class}",
        DataMethod => $"Data {Class}",
        CreatePermissionMethod => $"CreatePermission {Class}",
        ChannelBindMethod => $"ChannelBind {Class}",
        _ => $"method 0x{Method.ToString("x3", CultureInfo.InvariantCulture)} {Class}",
    };
}
