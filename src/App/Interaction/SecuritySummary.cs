using SecretChat.Security;

namespace SecretChat.App.Interaction;

/// <summary>One line per mode on what it protects, shown at connect in every interactor (and by the demo).</summary>
public static class SecuritySummary
{
    public const string NotEncrypted = "NOT ENCRYPTED";

    public static string Describe(SecurityMode mode) => mode switch
    {
        SecurityMode.Noise => "noise: encrypted and mutually authenticated (Noise XX), with forward secrecy; compare the safety number with your peer to rule out a man in the middle.",
        SecurityMode.Rsa => "rsa: encrypted with AES-GCM under a session key sent with RSA-OAEP; the peer is not authenticated, so there is no safety number to compare.",
        SecurityMode.Pseudo => $"pseudo: {NotEncrypted} and not authenticated; anyone on the path can read and change these messages (tests and debugging only).",
        _ => $"{mode.Name()}: unknown mode; assume it protects nothing.",
    };
}
