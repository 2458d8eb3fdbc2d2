using SecretChat.Chat;
using SecretChat.Security;
using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Security.Pseudo;
using SecretChat.Security.Rsa;

namespace SecretChat.Chat.Composition;

/// <summary>
/// A security module and how each of its sessions verifies the peer (pins for noise, nothing for the others): what
/// <see cref="ChatConnector"/> and <see cref="ChatListener"/> run, built in or written in code.
/// A built-in choice owns what it loaded (noise: the identity key): dispose it once no handshake will start any more,
/// which wipes the key. A choice made in code owns only what its <see cref="Owned"/> says.
/// </summary>
/// <param name="Module">The module: any <see cref="ISecurityModule"/>, with its own identifier.</param>
/// <param name="NewVerifier">Makes the verifier of one session (<see cref="AcceptAnyPeer.Instance"/> for modules without keys).</param>
public sealed record SecurityChoice(ISecurityModule Module, Func<IPeerVerifier> NewVerifier) : IDisposable
{
    /// <summary>A module whose sessions accept any peer (modules without long-term keys, or a safety number compared by hand).</summary>
    public static SecurityChoice AcceptingAnyPeer(ISecurityModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return new SecurityChoice(module, () => AcceptAnyPeer.Instance);
    }

    /// <summary>What this choice owns and disposes with itself (a built-in noise choice: the identity key it loaded), if anything.</summary>
    public IDisposable? Owned { get; init; }

    /// <summary>
    /// What to run ahead of the first handshake, off the critical path, while a p2p chat waits for its peer (built-in
    /// noise: <see cref="NoiseSecurity.WarmUp"/>, so the handshake after the match does not pay for compiling its
    /// code); null for nothing. It must not touch what the choice owns: it may still run when the choice is disposed.
    /// </summary>
    public Action? WarmUp { get; init; }

    /// <summary>Releases what the choice loaded (wipes a built-in identity key).</summary>
    public void Dispose() => Owned?.Dispose();
}

/// <summary>The built-in modules by name: what the command line picks with <see cref="ChatOptions.Encryption"/>.</summary>
public static class SecurityModules
{
    /// <summary>Makes the built-in module that <see cref="ChatOptions.Encryption"/> names (noise loads the identity and the pins).</summary>
    /// <exception cref="ChatFailedException">The module is not built in, or the identity or pins cannot be loaded.</exception>
    public static SecurityChoice Create(ChatOptions options)
    {
        var choice = options.Encryption.Id switch
        {
            "pseudo" => new SecurityChoice(new PseudoSecurity(), () => AcceptAnyPeer.Instance),
            "rsa" => new SecurityChoice(new RsaSecurity(), () => AcceptAnyPeer.Instance),
            "noise" => Noise(options),
            _ => throw new ChatFailedException($"The {options.Encryption.Id} security module is not built in; give it to the ChatConnector in code."),
        };
        // rsa and pseudo are never post-quantum: with --require-pq they refuse every peer, as they should.
        return options.RequirePostQuantum
            ? choice with { NewVerifier = () => new PostQuantumRequired(choice.NewVerifier()) }
            : choice;
    }

    private static SecurityChoice Noise(ChatOptions options)
    {
        try
        {
            var identity = IdentityStore.LoadOrCreate(options.IdentityPath);
            try
            {
                var knownPeers = KnownPeers.Load(KnownPeersLocation.Resolve(options));
                var postQuantum = options.PostQuantum || options.RequirePostQuantum;
                return new SecurityChoice(new NoiseSecurity(identity, postQuantum), () => new PinnedPeerVerifier(knownPeers, options.AcceptNewPeerKey))
                {
                    Owned = identity,
                    WarmUp = () => NoiseSecurity.WarmUp(postQuantum),
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
