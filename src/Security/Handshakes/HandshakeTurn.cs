namespace SecretChat.Security;

/// <summary>The one check that a handshake's caller keeps to its turns: write when it must write, read when it must read.</summary>
internal static class HandshakeTurn
{
    /// <summary>Throws unless <paramref name="handshake"/> is alive and its status is <paramref name="expected"/>.</summary>
    public static void Ensure(IHandshake handshake, bool disposed, bool failed, HandshakeStatus expected)
    {
        ObjectDisposedException.ThrowIf(disposed, handshake);
        if (failed)
            throw new InvalidOperationException("The handshake has failed and cannot continue.");
        if (handshake.Status != expected)
        {
            var call = expected == HandshakeStatus.MustWrite ? nameof(IHandshake.WriteMessage) : nameof(IHandshake.ReadMessage);
            throw new InvalidOperationException($"{call} is out of turn: the handshake status is {handshake.Status}.");
        }
    }
}
