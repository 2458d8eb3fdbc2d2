using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace SecretChat.Transport.Stun;

/// <summary>
/// The server side of a Binding transaction (RFC 8489 §6.3): a success response with XOR-MAPPED-ADDRESS, SOFTWARE and
/// FINGERPRINT; 420 with UNKNOWN-ATTRIBUTES for comprehension-required attributes it does not act on (TURN's among them); 400 for other methods.
/// No authentication: the answer only tells a client its own address.
/// </summary>
public static class StunBindingResponder
{
    /// <summary>
    /// Builds the answer to <paramref name="request"/> received from <paramref name="source"/>. False when nothing should
    /// be sent: not a request, an indication, a response, or a request whose FINGERPRINT fails.
    /// </summary>
    public static bool TryAnswer(StunMessage request, IPEndPoint source, string? software, [NotNullWhen(true)] out byte[]? response)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(source);
        response = null;
        if (request.Type.Class != StunClass.Request || (request.HasFingerprint && !request.VerifyFingerprint()))
            return false;

        StunMessageBuilder builder;
        if (request.Type.Method != StunMessageType.BindingMethod)
        {
            builder = new StunMessageBuilder(new StunMessageType(request.Type.Method, StunClass.ErrorResponse), request.TransactionId)
                .AddErrorCode(StunErrorCode.BadRequest, "Only Binding is served here");
        }
        else if (NotUnderstood(request) is { Count: > 0 } unknown)
        {
            builder = new StunMessageBuilder(StunMessageType.BindingError, request.TransactionId)
                .AddErrorCode(StunErrorCode.UnknownAttribute, "Unknown Attribute")
                .AddUnknownAttributes(unknown);
        }
        else
        {
            builder = new StunMessageBuilder(StunMessageType.BindingSuccess, request.TransactionId)
                .AddXorMappedAddress(source);
        }

        if (software is not null)
            builder.AddSoftware(software);
        response = builder.AddFingerprint().ToArray();
        return true;
    }

    /// <summary>
    /// The comprehension-required attributes of a Binding request that this responder does not act on (RFC 8489 §6.3.1):
    /// those the codec does not know, and those it knows from other methods or extensions: TURN's (RFC 8656) and
    /// CHANGE-REQUEST (RFC 5780, whose clients learn from the 420 that the server does not change its address).
    /// Authentication and ICE attributes are taken as understood: a Binding answer only tells a client its own address.
    /// </summary>
    internal static List<ushort> NotUnderstood(StunMessage request)
    {
        var unknown = new List<ushort>(request.UnknownComprehensionRequired);
        foreach (var attribute in request.Attributes)
        {
            if (!unknown.Contains(attribute.Type) && IsForAnotherMethod(attribute.Type))
                unknown.Add(attribute.Type);
        }

        return unknown;
    }

    private static bool IsForAnotherMethod(ushort type) => type is StunAttributeType.ChangeRequest
        or StunAttributeType.ChannelNumber or StunAttributeType.Lifetime or StunAttributeType.XorPeerAddress or StunAttributeType.Data
        or StunAttributeType.XorRelayedAddress or StunAttributeType.RequestedAddressFamily or StunAttributeType.EvenPort
        or StunAttributeType.RequestedTransport or StunAttributeType.DontFragment or StunAttributeType.ReservationToken;
}
