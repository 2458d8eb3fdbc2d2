using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace SecretChat.Transport.Stun;

/// <summary>
/// The server side of a Binding transaction (RFC 8489 §6.3): a success response with XOR-MAPPED-ADDRESS, SOFTWARE and
/// FINGERPRINT; 420 with UNKNOWN-ATTRIBUTES for unknown comprehension-required attributes; 400 for other methods.
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
        else if (request.UnknownComprehensionRequired.Count > 0)
        {
            builder = new StunMessageBuilder(StunMessageType.BindingError, request.TransactionId)
                .AddErrorCode(StunErrorCode.UnknownAttribute, "Unknown Attribute")
                .AddUnknownAttributes(request.UnknownComprehensionRequired);
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
}
