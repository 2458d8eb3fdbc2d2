using SecretChat.Security;

namespace SecretChat.Cli.Interaction;

/// <summary>One line per module on what it protects, shown at connect in every interactor (and by the demo).</summary>
internal static class SecuritySummary
{
    public const string NotEncrypted = "NOT ENCRYPTED";

    /// <summary>The built-in modules get their own sentence; any other module is described by what its capabilities promise.</summary>
    public static string Describe(SecurityModuleInfo module) => module.Id switch
    {
        "noise" => "noise: encrypted and mutually authenticated (Noise XX), with forward secrecy; compare the safety number with your peer to rule out a man in the middle.",
        "rsa" => "rsa: encrypted with AES-GCM under a session key sent with RSA-OAEP; the peer is not authenticated, so there is no safety number to compare.",
        "pseudo" => $"pseudo: {NotEncrypted} and not authenticated; anyone on the path can read and change these messages (tests and debugging only).",
        _ => $"{module.Id} ({module.DisplayName}): {Promises(module.Capabilities)}",
    };

    /// <summary>Whether what is recorded now stays secret against a future quantum computer (banner and <c>/path</c>).</summary>
    public static string PostQuantum(bool isPostQuantum) => isPostQuantum
        ? "post-quantum: yes (ML-KEM-768 mixed into the keys: a recording of this session stays secret against a future quantum computer)"
        : "post-quantum: no (a recording of this session could be decrypted by a future quantum computer)";

    /// <summary>
    /// The protocol the handshake negotiated, cipher included (banner and <c>/path</c>), e.g.
    /// <c>protocol: Noise_XX_25519_AESGCM_SHA256</c>; null when the session did not say.
    /// </summary>
    public static string? Protocol(string? protocolName) => protocolName is null ? null : $"protocol: {protocolName}";

    private static string Promises(SecurityCapabilities capabilities)
    {
        if (!capabilities.HasFlag(SecurityCapabilities.Confidential))
            return $"{NotEncrypted}; anyone on the path may read these messages.";
        if (!capabilities.HasFlag(SecurityCapabilities.AuthenticatesPeer))
            return "encrypted, but the peer is not authenticated, so a man in the middle cannot be ruled out.";
        return capabilities.HasFlag(SecurityCapabilities.HasFingerprint)
            ? "encrypted and the peer authenticated; compare the safety number with your peer."
            : "encrypted and the peer authenticated by the module.";
    }
}
