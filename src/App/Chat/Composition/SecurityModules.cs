using SecretChat.Chat;
using SecretChat.Security;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Security.Pseudo;
using SecretChat.Security.Rsa;

namespace SecretChat.Chat.Composition;

/// <summary>
/// A security module and how each of its sessions verifies the peer (pins for noise, nothing for the others).
/// It owns what it loaded (noise: the identity key): dispose it once no handshake will start any more, which wipes the key.
/// </summary>
public sealed record SecurityChoice(ISecurityModule Module, Func<IPeerVerifier> NewVerifier) : IDisposable
{
    /// <summary>What this choice loaded and must wipe (the identity key), if anything.</summary>
    internal IDisposable? Owned { get; init; }

    /// <summary>Wipes what this choice loaded (the identity key), if anything.</summary>
    public void Dispose() => Owned?.Dispose();
}

/// <summary>Makes the security module that <see cref="ChatOptions.Encryption"/> names.</summary>
public static class SecurityModules
{
    /// <summary>The built-in module <see cref="ChatOptions.Encryption"/> names, with its verifier; noise loads (or creates) the identity and the pins.</summary>
    /// <exception cref="ChatFailedException">The module is not built in, or the identity or the pins cannot be used.</exception>
    public static SecurityChoice Create(ChatOptions options) => options.Encryption.Id switch
    {
        "pseudo" => new SecurityChoice(new PseudoSecurity(), () => AcceptAnyPeer.Instance),
        "rsa" => new SecurityChoice(new RsaSecurity(), () => AcceptAnyPeer.Instance),
        "noise" => Noise(options),
        _ => throw new ChatFailedException($"The {options.Encryption.Id} security module is not built in."),
    };

    private static SecurityChoice Noise(ChatOptions options)
    {
        try
        {
            var identity = IdentityStore.LoadOrCreate(options.IdentityPath);
            try
            {
                var knownPeers = KnownPeers.Load(KnownPeersLocation.Resolve(options));
                return new SecurityChoice(new NoiseSecurity(identity), () => new PinnedPeerVerifier(knownPeers, options.AcceptNewPeerKey))
                {
                    Owned = identity,
                };
            }
            catch
            {
                identity.Dispose();
                throw;
            }
        }
        catch (IdentityException e)
        {
            throw new ChatFailedException(e.Message, e);
        }
    }
}
