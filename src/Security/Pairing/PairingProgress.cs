namespace SecretChat.Security.Pairing;

/// <summary>Where a <see cref="CodePairing"/> stands after a message from the peer.</summary>
public enum PairingProgress
{
    /// <summary>Send the reply and wait for the peer's next message.</summary>
    Continue,

    /// <summary>Both sides used the same code in this very session: the peer's key may be pinned as verified.</summary>
    Confirmed,

    /// <summary>
    /// The peer's confirmation did not match: a different code, or a man in the middle holding two sessions. Nothing
    /// may be pinned or sent.
    /// </summary>
    Mismatch,
}
