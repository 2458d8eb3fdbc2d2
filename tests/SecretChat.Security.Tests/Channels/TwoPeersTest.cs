using SecretChat.Security.Identity;
using SecretChat.Security.Noise;
using SecretChat.Security.Pseudo;
using SecretChat.Security.Rsa;

namespace SecretChat.Security.Tests.Channels;

/// <summary>Alice's and Bob's identities for a test, wiped after it, and the security module of each mode.</summary>
public abstract class TwoPeersTest : IDisposable
{
    protected StaticKeyPair AliceKey { get; } = StaticKeyPair.Generate();

    protected StaticKeyPair BobKey { get; } = StaticKeyPair.Generate();

    public void Dispose()
    {
        AliceKey.Dispose();
        BobKey.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A fresh module of <paramref name="mode"/>; noise runs with <paramref name="key"/>.</summary>
    protected static ISecurityModule Module(SecurityModuleInfo mode, StaticKeyPair key) => mode.Id switch
    {
        "noise" => new NoiseSecurity(key),
        "rsa" => new RsaSecurity(),
        _ => new PseudoSecurity(),
    };

    /// <summary>As <see cref="Module(SecurityModuleInfo, StaticKeyPair)"/>, with the mode by its command-line name.</summary>
    protected static ISecurityModule Module(string mode, StaticKeyPair key) =>
        BuiltInModules.TryFind(mode, out var parsed) ? Module(parsed, key) : throw new ArgumentException(mode, nameof(mode));
}
