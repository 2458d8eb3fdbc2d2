using System.Reflection;

namespace SecretChat.Security.Tests.Ciphers;

internal static class CipherStateCounter
{
    /// <summary>
    /// Moves the implicit counter, which <see cref="CipherState"/> keeps behind a private setter (the shared
    /// contract offers no other way), so a test can start next to <see cref="CipherState.MaxNonce"/>.
    /// </summary>
    public static void SetNonce(CipherState state, ulong nonce)
    {
        var property = typeof(CipherState).GetProperty(nameof(CipherState.Nonce))!;
        property.GetSetMethod(nonPublic: true)!.Invoke(state, [nonce]);
    }
}
