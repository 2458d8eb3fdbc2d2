using SecretChat.App.Chat;
using SecretChat.Security;
using SecretChat.Security.Pseudo;
using SecretChat.Security.Rsa;

namespace SecretChat.App.Composition;

/// <summary>A security module with the verifier that goes with it (pins for noise, nothing for the others).</summary>
public sealed record SecurityChoice(ISecurityModule Module, IPeerVerifier Verifier);

/// <summary>Makes the security module that <see cref="ChatOptions.Encryption"/> names.</summary>
public static class SecurityModules
{
    public static SecurityChoice Create(ChatOptions options) => options.Encryption switch
    {
        SecurityMode.Pseudo => new SecurityChoice(new PseudoSecurity(), AcceptAnyPeer.Instance),
        SecurityMode.Rsa => new SecurityChoice(new RsaSecurity(), AcceptAnyPeer.Instance),
        _ => throw new ChatFailedException($"The {options.Encryption.Name()} encryption mode is not available in this build."),
    };
}
